// The issue-17 benchmarks run end to end in a tiny mode, so the scripts cannot rot: each starts a hub child process
// and the platform simulators, and must finish with exit code 0 and a result line per platform. The figures of a tiny
// run mean nothing; what is checked is that every parcel was shipped back without a limit answer while paced, and that
// every platform change reached the anchor.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../bench/lib/server.ts';

/** Runs a bench script as `npm run bench:…` does (bin/run-ts.js), collecting its output. */
function runBench(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/** The table rows of one section of a bench's output: the lines that start with "  <name> ". */
function rowsOf(out: string, names: string[]): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const cells = line.trim().split(/\s+/);
    if (line.startsWith('  ') && names.includes(cells[0] ?? '')) rows.set(cells[0] as string, cells);
  }
  return rows;
}

describe('the benchmarks run (tiny mode)', () => {
  it('bench:ship-back ships every parcel back to every platform, paced, with no limit answer', async () => {
    const platforms = ['taobao', 'jd', 'pinduoduo', 'douyin', 'shopify', 'woocommerce'];
    const { code, out } = await runBench('bench/ship-back.ts', ['--parcels', '2', '--phases', 'paced']);
    expect(out).toContain('ship-back, paced at the defaults (sqlite, 2 parcels per platform):');
    expect(code, out).toBe(0);
    const rows = rowsOf(out, platforms);
    expect([...rows.keys()].sort()).toEqual([...platforms].sort());
    for (const [p, r] of rows) {
      // platform, done, left, refused, attempts, requests, … limit answers, p50, p99
      expect({ p, done: r[1], left: r[2], refused: r[3], limitAnswers: r.at(-3) }).toEqual({ p, done: '2', left: '0', refused: '0', limitAnswers: '0' });
    }
  }, 300_000);

  it('bench:status-sync sees every platform change on the anchor, on every channel', async () => {
    const channels = ['taobao', 'jd', 'pinduoduo', 'douyin', 'shopee', 'shopify', 'woocommerce', 'ownshop'];
    const { code, out } = await runBench('bench/status-sync.ts', ['--per-channel', '3', '--window', '5']);
    expect(code, out).toBe(0);
    const rows = rowsOf(out, channels);
    expect([...rows.keys()].sort()).toEqual([...channels].sort());
    for (const line of out.split('\n').filter((l) => channels.some((c) => l.startsWith(`  ${c} `)))) {
      expect(line).not.toContain('never seen');
    }
  }, 300_000);
});
