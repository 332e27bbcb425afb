/**
 * Version chains. Every anchoring of a URI appends an entry whose `previous` is the hash of
 * the version before, so the versions of one URI form a hash chain that cannot be reordered,
 * shortened in the middle or edited without the break showing.
 */
import { ValidationError } from '../../errors.ts';
import { entryHashHex, sameContent } from './entry.ts';
import type { ProvenanceEntry } from './model.ts';

/**
 * The highest version of each URI. Two different entries with the same URI and version are a
 * fork (`CONFLICTING_VERSIONS`), never silently resolved.
 */
export function latestVersions(entries: Iterable<ProvenanceEntry>): ProvenanceEntry[] {
  const latest = new Map<string, ProvenanceEntry>();
  for (const entry of entries) {
    const current = latest.get(entry.uri);
    if (current === undefined || entry.version > current.version) {
      latest.set(entry.uri, entry);
    } else if (
      entry.version === current.version &&
      !(sameContent(entry, current) && entry.previous === current.previous)
    ) {
      throw new ValidationError(
        'CONFLICTING_VERSIONS',
        `two different entries claim version ${entry.version} of ${entry.uri}`,
        {
          hint: 'a version is appended once; find which copy is authentic by its anchored hash',
          details: { uri: entry.uri, version: entry.version },
        },
      );
    }
  }
  return [...latest.values()];
}

/**
 * All versions of `uri` in `entries`, oldest first, after checking the chain: versions 1..n
 * without gaps, version 1 without `previous`, and each later `previous` equal to the hash of the
 * version before. A break throws `BROKEN_HISTORY` naming the first version that does not fit.
 */
export function history(entries: Iterable<ProvenanceEntry>, uri: string): ProvenanceEntry[] {
  const versions = [...entries].filter((e) => e.uri === uri).sort((a, b) => a.version - b.version);
  versions.forEach((entry, i) => {
    const expectedPrevious = i === 0 ? null : entryHashHex(versions[i - 1]!);
    if (entry.version !== i + 1 || entry.previous !== expectedPrevious) {
      throw new ValidationError(
        'BROKEN_HISTORY',
        `version ${entry.version} of ${uri} does not follow version ${i}`,
        {
          hint: 'a version is missing, duplicated or was altered',
          details: { uri, version: entry.version },
        },
      );
    }
  });
  return versions;
}
