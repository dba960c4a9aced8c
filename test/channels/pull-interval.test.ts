// The pull interval per platform: JD and PDD (no HTTP message feed) are pulled every 30 s; the others keep the configured
// interval (300 s by default; Taobao's TMC feed runs beside it); a platform's own interval only ever shortens it.
import { describe, expect, it } from 'vitest';
import { Poller, defaultPollerOptions } from '../../src/modules/channels/poller.ts';
import type { Database } from '../../src/platform/db/database.ts';
import type { AccountService } from '../../src/modules/channels/accounts.ts';
import type { WriteApi } from '../../src/app/commands.ts';
import { createLogger } from '../../src/platform/log.ts';

const poller = (intervalMs: number) => new Poller({} as Database, {} as AccountService, {} as WriteApi, null, createLogger('silent'), { ...defaultPollerOptions, intervalMs });

describe('pull interval per platform', () => {
  it('pulls JD and PDD every 30 s and the others at the configured interval', () => {
    const p = poller(300_000);
    expect(['jd', 'pinduoduo', 'taobao', 'shopify', 'douyin'].map((x) => [x, p.intervalFor(x)])).toEqual([
      ['jd', 30_000],
      ['pinduoduo', 30_000],
      ['taobao', 300_000],
      ['shopify', 300_000],
      ['douyin', 300_000],
    ]);
  });

  it('never lengthens a shorter configured interval', () => {
    expect(poller(10_000).intervalFor('jd')).toBe(10_000);
  });
});
