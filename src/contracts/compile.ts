/**
 * Deploy-time compilation: TypeScript (or JavaScript) source to the JavaScript
 * artefact that is agreed, signed and registered on chain. Validators never
 * compile: they run the artefact whose SHA-256 is the code hash, so a change of
 * esbuild version can change future artefacts but never the meaning of a
 * deployed one.
 *
 * The transform uses fixed options (no minification, no source maps, ES2022
 * output, ES module format), so the same source and esbuild version give
 * byte-identical output; organisations can each compile and compare hashes.
 */
import { transform, version } from 'esbuild';
import { utf8 } from '../codec/bytes.ts';
import { ValidationError } from '../errors.ts';
import { contractCodeHash } from './code-hash.ts';
import { MAX_CODE_BYTES, MAX_SOURCE_BYTES } from './limits.ts';

export const CONTRACT_TRANSFORM_OPTIONS = Object.freeze({
  format: 'esm',
  target: 'es2022',
  platform: 'neutral',
  charset: 'utf8',
  legalComments: 'none',
  minify: false,
  sourcemap: false,
  treeShaking: false,
  logLevel: 'silent',
} as const);

export interface CompiledContract {
  /** The deployed artefact. */
  readonly code: string;
  /** SHA-256 of `code` (UTF-8), `0x`-hex. */
  readonly codeHash: string;
  /** e.g. `esbuild 0.28.2`: recorded for audit, not part of the hash. */
  readonly compiler: string;
}

/** Compiles contract source. `loader` is `ts` unless the source is plain JavaScript. */
export async function compileContract(source: string, loader: 'ts' | 'js' = 'ts'): Promise<CompiledContract> {
  const sourceBytes = utf8(source).length;
  if (sourceBytes > MAX_SOURCE_BYTES) {
    throw new ValidationError(
      'SOURCE_TOO_LARGE',
      `contract source is ${sourceBytes} bytes; the limit is ${MAX_SOURCE_BYTES}`,
    );
  }
  let code: string;
  try {
    const result = await transform(source, {
      ...CONTRACT_TRANSFORM_OPTIONS,
      loader,
      sourcefile: `contract.${loader}`,
    });
    code = result.code;
  } catch (cause) {
    const errors = (
      cause as { errors?: Array<{ text: string; location?: { line: number; column: number } | null }> }
    ).errors;
    const first = errors?.[0];
    const where = first?.location ? ` at ${first.location.line}:${first.location.column}` : '';
    throw new ValidationError(
      'CONTRACT_COMPILE_FAILED',
      `the contract does not compile${where}: ${first?.text ?? String(cause)}`,
      {
        hint: 'fix the source; contracts are one module without imports (type-only imports are fine)',
        cause,
      },
    );
  }
  const codeBytes = utf8(code).length;
  if (codeBytes > MAX_CODE_BYTES) {
    throw new ValidationError(
      'CODE_TOO_LARGE',
      `compiled contract is ${codeBytes} bytes; the limit is ${MAX_CODE_BYTES}`,
    );
  }
  return { code, codeHash: contractCodeHash(code), compiler: `esbuild ${version}` };
}
