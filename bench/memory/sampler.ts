/**
 * Loaded into a process under test with `node --import bench/memory/sampler.ts ...`: every
 * MEM_SAMPLE_MS (default 500) it appends one JSON line to MEM_SAMPLE_FILE (default
 * <tmpdir>/mem-sample-<pid>.jsonl) with the process's
 * memory split (RSS, V8 heap used/committed per space, external and ArrayBuffer bytes) and the
 * garbage collector's pause time so far by kind (ms, from `gc` performance entries), so a
 * benchmark can show where the resident memory and the GC time go without touching the code
 * under test. Each line also carries the kernel's split of the resident set
 * (`/proc/self/smaps_rollup`: anonymous vs file-backed pages, MB). With HEAP_SNAPSHOT_AT_MS set it
 * writes one V8 heap snapshot that many ms after start, next to MEM_SAMPLE_FILE.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const file = process.env.MEM_SAMPLE_FILE || join(tmpdir(), `mem-sample-${process.pid}.jsonl`);
{
  const every = Number(process.env.MEM_SAMPLE_MS ?? 500);
  const t0 = Date.now();
  const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const gc: Record<string, { n: number; ms: number }> = {};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = kinds[(e as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
      const g = gc[kind] ?? { n: 0, ms: 0 };
      gc[kind] = g;
      g.n++;
      g.ms += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  const rollup = (): Record<string, number> => {
    try {
      const text = readFileSync('/proc/self/smaps_rollup', 'utf8');
      const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
      return { anon: mb(kb('Anonymous') * 1024), file: mb((kb('Rss') - kb('Anonymous')) * 1024) };
    } catch {
      return {};
    }
  };
  const snapAt = Number(process.env.HEAP_SNAPSHOT_AT_MS ?? 0);
  if (snapAt > 0)
    setTimeout(() => {
      const path = writeHeapSnapshot(`${file}.heapsnapshot`);
      appendFileSync(file, `${JSON.stringify({ t: Date.now() - t0, heapSnapshot: path })}\n`);
    }, snapAt).unref();
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const spaces: Record<string, number> = {};
    for (const s of getHeapSpaceStatistics()) spaces[s.space_name.replace(/_space$/, '')] = mb(s.space_size);
    const line = {
      t: Date.now() - t0,
      rss: mb(m.rss),
      ...rollup(),
      heapUsed: mb(m.heapUsed),
      heapTotal: mb(m.heapTotal),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
      spaces,
      gc: Object.fromEntries(Object.entries(gc).map(([k, g]) => [k, { n: g.n, ms: Math.round(g.ms) }])),
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, every);
  timer.unref();
}
