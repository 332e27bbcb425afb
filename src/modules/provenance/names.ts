/**
 * Qualified names in provenance records, in one canonical spelling so that a record's hash
 * never depends on which prefixes a document happened to declare.
 *
 * A canonical name is either
 * - `prov:local`, `xsd:local` or `meridian:local` for the three vocabularies Meridian knows, or
 * - the full absolute URI for anything else (`https://example.org/ns#colour`).
 *
 * PROV-JSON documents use `prefix:local` with their own prefixes; the PROV-JSON codec expands
 * them on import and compacts them on export. Entries always hold canonical names.
 */
import { ValidationError } from '../../errors.ts';
import { validateUri } from './uri.ts';

export const PROV_NS = 'http://www.w3.org/ns/prov#';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema#';
/**
 * Meridian's own provenance vocabulary (granularity types, version fields, operations).
 * `.example` is reserved (RFC 2606): the namespace is an identifier, not a web page. Entries
 * store the short form `meridian:...`, so changing this URI later changes no entry hash.
 */
export const MERIDIAN_NS = 'https://meridian.example/ns/prov#';

export const WELL_KNOWN_NAMESPACES: Readonly<Record<'prov' | 'xsd' | 'meridian', string>> = {
  prov: PROV_NS,
  xsd: XSD_NS,
  meridian: MERIDIAN_NS,
};

const LOCAL_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function wellKnownPrefix(name: string): 'prov' | 'xsd' | 'meridian' | null {
  const colon = name.indexOf(':');
  const prefix = colon > 0 ? name.slice(0, colon) : '';
  return prefix === 'prov' || prefix === 'xsd' || prefix === 'meridian' ? prefix : null;
}

/**
 * Splits a full URI into namespace and local part at the last "/", "#" or ":" (the namespace
 * keeps the separator). Returns null if the local part would be empty.
 */
export function splitNamespace(uri: string): { namespace: string; local: string } | null {
  const cut = Math.max(uri.lastIndexOf('/'), uri.lastIndexOf('#'), uri.lastIndexOf(':'));
  if (cut < 0 || cut === uri.length - 1) return null;
  return { namespace: uri.slice(0, cut + 1), local: uri.slice(cut + 1) };
}

/** Validates a canonical name; throws `ValidationError` (`BAD_NAME`) naming `what`. */
export function validateName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string') {
    throw new ValidationError('BAD_NAME', `${what} must be a string`, {
      hint: 'use prov:..., meridian:... or a full URI',
    });
  }
  const prefix = wellKnownPrefix(name);
  if (prefix !== null) {
    if (!LOCAL_NAME.test(name.slice(prefix.length + 1))) {
      throw new ValidationError('BAD_NAME', `${what} ${JSON.stringify(name)} has an invalid local part`, {
        hint: 'local names start with a letter or "_" and contain letters, digits, "_", "." or "-"',
      });
    }
    return name;
  }
  validateUri(name, what);
  for (const [short, ns] of Object.entries(WELL_KNOWN_NAMESPACES)) {
    if (name.startsWith(ns)) {
      throw new ValidationError(
        'NON_CANONICAL_NAME',
        `${what} ${JSON.stringify(name)} must be written ${short}:...`,
        {
          hint: 'names in the prov, xsd and meridian namespaces use their short form',
        },
      );
    }
  }
  if (splitNamespace(name) === null) {
    throw new ValidationError('BAD_NAME', `${what} ${JSON.stringify(name)} has no local part`, {
      hint: 'a name URI must not end with "/", "#" or ":"',
    });
  }
  return name;
}

/** The full URI of a canonical name. */
export function expandName(name: string): string {
  const prefix = wellKnownPrefix(name);
  return prefix === null ? name : WELL_KNOWN_NAMESPACES[prefix] + name.slice(prefix.length + 1);
}

/** The canonical name of a full URI (short form for the well-known namespaces when the local part allows). */
export function compactName(uri: string): string {
  for (const [short, ns] of Object.entries(WELL_KNOWN_NAMESPACES)) {
    if (uri.startsWith(ns) && LOCAL_NAME.test(uri.slice(ns.length)))
      return `${short}:${uri.slice(ns.length)}`;
  }
  return uri;
}
