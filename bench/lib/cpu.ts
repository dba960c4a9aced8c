// CPU time of the hub, the load generator and PostgreSQL over the timed phase, to tell which one limits throughput.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // getconf missing: 100 is the Linux value almost everywhere
}

/** user+system CPU seconds of one process (all its threads), or null off Linux / when it is gone. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}

/** Summed CPU seconds of every process named `postgres` (server, backends, WAL writer …) on this machine. */
export function postgresCpuSeconds(): number | null {
  let total = 0;
  let found = false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    const s = processCpuSeconds(Number(e));
    if (s !== null) {
      total += s;
      found = true;
    }
  }
  return found ? total : null;
}

export interface CpuSnapshot {
  hub: number | null;
  loadgen: number;
  postgres: number | null;
}

export function snapshot(hubPid: number, withPostgres: boolean): CpuSnapshot {
  const u = process.cpuUsage();
  return { hub: processCpuSeconds(hubPid), loadgen: (u.user + u.system) / 1e6, postgres: withPostgres ? postgresCpuSeconds() : null };
}

/** Share of one core each used between two snapshots, in percent. */
export function cpuPercent(a: CpuSnapshot, b: CpuSnapshot, wallMs: number): { hub: number | null; loadgen: number; postgres: number | null } {
  const pct = (x: number | null, y: number | null) => (x === null || y === null ? null : ((y - x) / (wallMs / 1000)) * 100);
  return { hub: pct(a.hub, b.hub), loadgen: pct(a.loadgen, b.loadgen) ?? 0, postgres: pct(a.postgres, b.postgres) };
}
