/**
 * `meridian trie ...`: compute Merkle Patricia Trie roots, make proofs and check
 * them offline, from a JSON list of entries on stdin.
 *
 * Entries are a JSON array of [key, value] pairs; a string starting with 0x is
 * hex, anything else is UTF-8. A null or empty value deletes the key (the trie
 * holds non-empty values only). Later pairs win over earlier ones.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { bytesFromCliString, fromHexFixed, toHex } from '../../codec/bytes.ts';
import { DecodeError, MeridianError } from '../../errors.ts';
import { createProof, verifyProof } from '../../trie/proof.ts';
import {
  keyProofToJson,
  parseKeyProofJson,
  parseSubtreeProofJson,
  proofJsonType,
  subtreeProofToJson,
} from '../../trie/proof-codec.ts';
import { createSubtreeProof, verifySubtreeProof } from '../../trie/subtree-proof.ts';
import { MerklePatriciaTrie } from '../../trie/trie.ts';

/** Largest input the trie commands read (stdin entries or a proof file). */
export const MAX_TRIE_CLI_INPUT_BYTES = 256 * 1024 * 1024;

const ENTRIES_HINT =
  'pipe a JSON array of [key, value] pairs, e.g. echo \'[["dog","puppy"],["0x01","0xff"]]\' | meridian trie root';

async function readStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) {
    throw new MeridianError('NO_INPUT', `${what} are read from stdin, and stdin is a terminal`, {
      hint: ENTRIES_HINT,
    });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_TRIE_CLI_INPUT_BYTES) {
      throw new MeridianError(
        'INPUT_TOO_LARGE',
        `${what} are over ${MAX_TRIE_CLI_INPUT_BYTES} bytes (MAX_TRIE_CLI_INPUT_BYTES)`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function readFileLimited(path: string): string {
  const text = readFileSync(path);
  if (text.length > MAX_TRIE_CLI_INPUT_BYTES) {
    throw new MeridianError(
      'INPUT_TOO_LARGE',
      `${path} is over ${MAX_TRIE_CLI_INPUT_BYTES} bytes (MAX_TRIE_CLI_INPUT_BYTES)`,
    );
  }
  return text.toString('utf8');
}

/** Parses the entries JSON. Throws `DecodeError` (code `ENTRIES_INVALID`) naming the bad pair. */
export function parseEntries(text: string): [Uint8Array, Uint8Array][] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DecodeError('ENTRIES_INVALID', `entries are not valid JSON: ${(cause as Error).message}`, {
      hint: ENTRIES_HINT,
      cause,
    });
  }
  if (!Array.isArray(value))
    throw new DecodeError('ENTRIES_INVALID', 'entries must be a JSON array', { hint: ENTRIES_HINT });
  return value.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
      throw new DecodeError('ENTRIES_INVALID', `entry ${i} must be a [key, value] pair of strings`, {
        hint: ENTRIES_HINT,
      });
    }
    const [key, val] = pair as [string, unknown];
    if (val !== null && typeof val !== 'string') {
      throw new DecodeError('ENTRIES_INVALID', `entry ${i}: the value must be a string or null`, {
        hint: ENTRIES_HINT,
      });
    }
    return [bytesFromCliString(key), val === null ? new Uint8Array(0) : bytesFromCliString(val)];
  });
}

async function trieFromStdin(): Promise<MerklePatriciaTrie> {
  return MerklePatriciaTrie.fromEntries(parseEntries(await readStdin('entries')));
}

function printValue(label: string, value: Uint8Array): void {
  let text = '';
  try {
    const decoded = new TextDecoder('utf-8', { fatal: true }).decode(value);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: printable check
    if (!/[\u0000-\u001f\u007f]/.test(decoded)) text = `  (utf-8: ${JSON.stringify(decoded)})`;
  } catch {
    // not UTF-8: hex only
  }
  console.log(`${label}${toHex(value)}${text}`);
}

export function registerTrieCommands(program: Command): void {
  const trie = program
    .command('trie')
    .description(
      'Merkle Patricia Trie roots and proofs (Ethereum-compatible, raw keys), from entries on stdin',
    );

  trie
    .command('root')
    .description('print the root hash of the trie of the [key, value] pairs on stdin')
    .addHelpText('after', `\nExample:\n  ${ENTRIES_HINT}`)
    .action(async () => {
      console.log(toHex((await trieFromStdin()).root()));
    });

  trie
    .command('prove')
    .description(
      'print a proof (JSON) for a key, or with --prefix a subtree proof, against the trie of the entries on stdin',
    )
    .argument('[key]', 'the key to prove (0x-hex or UTF-8); proves absence when the key is not there')
    .option(
      '--prefix <prefix>',
      'prove every entry whose key starts with this prefix (0x-hex or UTF-8) instead',
    )
    .action(async (key: string | undefined, options: { prefix?: string }) => {
      if ((key === undefined) === (options.prefix === undefined)) {
        throw new MeridianError('BAD_ARGUMENTS', 'give either a key or --prefix <prefix>', {
          hint: 'meridian trie prove <key>   or   meridian trie prove --prefix <prefix>',
        });
      }
      const built = await trieFromStdin();
      const proof =
        options.prefix !== undefined
          ? subtreeProofToJson(createSubtreeProof(built, bytesFromCliString(options.prefix)), built.root())
          : keyProofToJson(
              { key: bytesFromCliString(key!), nodes: createProof(built, bytesFromCliString(key!)) },
              built.root(),
            );
      console.log(JSON.stringify(proof, null, 2));
    });

  trie
    .command('verify')
    .description(
      'check a proof made by `trie prove` against a root you trust; prints valid/invalid and the proven value(s); exit code 1 when invalid',
    )
    .argument('<root>', 'the trusted root hash (0x-hex, 32 bytes), e.g. from a verified block header')
    .argument('[key]', 'the key the proof must be about (0x-hex or UTF-8)')
    .option('--prefix <prefix>', 'verify a subtree proof for this prefix instead of a key proof')
    .option('--proof <file>', 'read the proof from this file instead of stdin')
    .action(
      async (rootText: string, key: string | undefined, options: { prefix?: string; proof?: string }) => {
        if ((key === undefined) === (options.prefix === undefined)) {
          throw new MeridianError('BAD_ARGUMENTS', 'give either a key or --prefix <prefix>', {
            hint: 'meridian trie verify <root> <key> --proof p.json   or   meridian trie verify <root> --prefix <prefix> --proof p.json',
          });
        }
        const root = fromHexFixed(rootText, 32, 'root');
        const text =
          options.proof !== undefined ? readFileLimited(options.proof) : await readStdin('the proof');
        try {
          if (options.prefix !== undefined) {
            if (proofJsonType(text) !== 'trie-subtree-proof')
              throw invalid('this is a key proof; drop --prefix to verify it');
            const proof = parseSubtreeProofJson(text);
            const prefix = bytesFromCliString(options.prefix);
            if (toHex(proof.prefix) !== toHex(prefix))
              throw invalid(`the proof is for prefix ${toHex(proof.prefix)}, not ${toHex(prefix)}`);
            const verified = verifySubtreeProof(root, proof);
            console.log(`valid: ${verified.entries.length} entries under prefix ${toHex(prefix)}`);
            for (const [k, v] of verified.entries) printValue(`${toHex(k)} `, v);
          } else {
            if (proofJsonType(text) !== 'trie-proof')
              throw invalid('this is a subtree proof; use --prefix to verify it');
            const proof = parseKeyProofJson(text);
            const wanted = bytesFromCliString(key!);
            if (toHex(proof.key) !== toHex(wanted))
              throw invalid(`the proof is for key ${toHex(proof.key)}, not ${toHex(wanted)}`);
            const value = verifyProof(root, wanted, proof.nodes);
            console.log(value === undefined ? 'valid: the key is absent' : 'valid: the key is present');
            if (value !== undefined) printValue('value: ', value);
          }
        } catch (error) {
          if (!(error instanceof MeridianError)) throw error;
          console.log(`invalid: ${error.message}`);
          process.exitCode = 1;
        }
      },
    );
}

function invalid(message: string): MeridianError {
  return new MeridianError('PROOF_MISMATCH', message);
}
