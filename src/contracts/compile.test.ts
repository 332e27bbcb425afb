import { describe, expect, it } from 'vitest';
import { contractCodeHash } from './code-hash.ts';
import { compileContract } from './compile.ts';
import { MAX_SOURCE_BYTES } from './limits.ts';

const SOURCE = `
import type { ContractContext } from './contract-api.ts';
enum Mode { Open, Closed }
interface Args { amount: number }
export function deposit(ctx: ContractContext, args: Args): number {
  const mode: Mode = Mode.Open;
  return mode === Mode.Open ? args.amount ?? 0 : 0;
}
`;

describe('compileContract', () => {
  it('turns TypeScript into a deterministic JavaScript module and hashes it', async () => {
    const a = await compileContract(SOURCE);
    const b = await compileContract(SOURCE);
    expect(a.code).toBe(b.code);
    expect(a.codeHash).toBe(contractCodeHash(a.code));
    expect(a.codeHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(a.compiler).toMatch(/^esbuild \d+\.\d+\.\d+$/);
    expect(a.code).not.toContain('import');
    expect(a.code).not.toContain('interface');
    expect(a.code).toContain('export');
  });

  it('reports syntax errors with their position', async () => {
    await expect(compileContract('export function f( {')).rejects.toMatchObject({
      code: 'CONTRACT_COMPILE_FAILED',
      message: expect.stringMatching(/at 1:\d+/),
    });
  });

  it('refuses oversized source before compiling it', async () => {
    await expect(compileContract(' '.repeat(MAX_SOURCE_BYTES + 1))).rejects.toMatchObject({
      code: 'SOURCE_TOO_LARGE',
    });
  });
});
