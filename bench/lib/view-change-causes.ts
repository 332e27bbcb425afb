/**
 * Why views changed during a benchmark, read back from the validators' own logs (the consensus
 * driver logs `view change started` with its cause: a timer, misbehaviour, or peers moving on).
 * A benchmark's devnet is deleted when it ends, so this is read before that.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface ViewChangeCause {
  readonly node: string;
  readonly view: number;
  readonly cause: string;
  readonly atMs: number;
}

/** Every `view change started` line in the given JSON-lines log files, oldest first. */
export function viewChangeCauses(logFiles: readonly { node: string; file: string }[]): ViewChangeCause[] {
  const out: ViewChangeCause[] = [];
  for (const { node, file } of logFiles) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"view change started"')) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; view?: number; cause?: string; time?: number };
        if (entry.msg !== 'view change started') continue;
        out.push({ node, view: entry.view ?? -1, cause: entry.cause ?? 'unknown', atMs: entry.time ?? 0 });
      } catch {
        // not a log entry (a crash trace): skip
      }
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}
