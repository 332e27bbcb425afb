/**
 * CPU time of other processes (the devnet's validators), read from Linux's /proc. Benchmarks use
 * it to say where the CPU of a run went; elsewhere (no /proc) every reading is `undefined` and the
 * report leaves the column out.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** User + system CPU milliseconds `pid` has used so far, or undefined if it cannot be read. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * (1000 / CLOCK_TICKS_PER_S) : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: Linux reports process times in 1/100 s (x86-64 and arm64 alike). */
const CLOCK_TICKS_PER_S = 100;

/** This process's user + system CPU milliseconds so far. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * User + system CPU milliseconds used so far by every PostgreSQL server process on this machine
 * (postmaster, backends, background workers), or undefined without /proc. A backend that exits
 * takes its time with it: read before and after a run whose connections stay open.
 */
export function postgresServerCpuMs(): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name));
  } catch {
    return undefined;
  }
  let total = 0;
  for (const pid of pids) {
    let command: string;
    try {
      command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // exited meanwhile
    }
    if (command === 'postgres') total += processCpuMs(Number(pid)) ?? 0;
  }
  return total;
}
