/** CPU time and memory of a Linux process from /proc (the forwarder child, measured from outside). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export interface ProcStats {
  /** user + system CPU time so far. */
  cpuMs: number;
  /** Peak resident set size (VmHWM). */
  peakRssBytes: number;
  /** Resident set size now (VmRSS). */
  rssBytes: number;
}

export function readProcStats(pid: number): ProcStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (hwm === null || rss === null || !Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error(`cannot read CPU/memory of pid ${pid} from /proc`);
  return {
    cpuMs: ((utime + stime) * 1000) / ticksPerSecond,
    peakRssBytes: Number(hwm[1]) * 1024,
    rssBytes: Number(rss[1]) * 1024,
  };
}

/** The machine's 1-minute load average and core count, for the report. */
export function machineLoad(): { load1: number; load5: number; cores: number } {
  const [l1, l5] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  const cores = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm)?.length ?? 0;
  return { load1: Number(l1), load5: Number(l5), cores };
}
