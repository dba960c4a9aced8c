// Pacing of platform writes (ship-back, remarks, stock): each channel account's requests go out no faster than its
// platform allows, so the hub does not run into the limit and its back-off in the first place. A 429 or a platform's
// limit code is still read and backed off where it comes (each client); pacing keeps it from coming.
//
// One bucket per account, shared by every write worker of the process (the outbound worker and the stock sync worker
// run in the same thread), keyed by the account: a platform's limit is per app and shop (Shopify: per app and store).
// The bucket is GCRA (a virtual-scheduling token bucket): request k may go at max(now, TAT − (burst − 1)·T), T = 1/rate,
// and then TAT = max(TAT, now) + T. A stream that keeps to it keeps to a leaky bucket of `burst` leaking `perSecond`,
// and with burst 1 never has more than `perSecond` requests in any one-second window. Requests wait in the order they
// asked; a wait given up (the call's timeout) keeps its slot, so giving up never lets more through.
import { PlatformWriteError, type PlatformWriteRate, type WriteRate } from './connectors/types.ts';

export type { PlatformWriteRate, WriteRate };

export interface PacerClock {
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** One account's bucket: the time the next request may go (and reserves it). */
export class TokenBucket {
  /** Theoretical arrival time of the next request (ms); -Infinity until the first. */
  private tat = Number.NEGATIVE_INFINITY;

  constructor(private rate: WriteRate) {
    assertRate(rate);
  }

  /** Takes a slot at `now`: the time (>= now) the request may go. */
  reserve(now: number): number {
    const interval = 1000 / this.rate.perSecond;
    const tolerance = (this.rate.burst - 1) * interval;
    const tat = Math.max(this.tat, now);
    const at = Math.max(now, tat - tolerance);
    this.tat = tat + interval;
    return at;
  }

  /** A changed rate applies from the next request on. */
  setRate(rate: WriteRate): void {
    assertRate(rate);
    this.rate = rate;
  }
}

function assertRate(r: WriteRate): void {
  if (!(Number.isFinite(r.perSecond) && r.perSecond > 0) || !(Number.isInteger(r.burst) && r.burst >= 1)) {
    throw new Error(`a write rate needs perSecond > 0 and a whole burst >= 1 (got ${JSON.stringify(r)})`);
  }
}

/** Which rate an account's writes keep to: null when its platform's writes are not paced. */
export type RateOf = (platform: string) => WriteRate | null;

export class WritePacer {
  private readonly buckets = new Map<string, { bucket: TokenBucket; rate: WriteRate }>();

  constructor(
    private readonly rateOf: RateOf,
    private readonly clock: PacerClock = realClock,
  ) {}

  /**
   * Waits until one more request of this account may go (at once when it may). Rejects with a retryable
   * PlatformWriteError when `signal` aborts the wait (the call's timeout ran out while waiting its turn).
   */
  async pace(accountId: string, platform: string, signal?: AbortSignal): Promise<void> {
    const rate = this.rateOf(platform);
    if (!rate) return;
    let entry = this.buckets.get(accountId);
    if (!entry) {
      entry = { bucket: new TokenBucket(rate), rate };
      this.buckets.set(accountId, entry);
    } else if (entry.rate !== rate) {
      entry.bucket.setRate(rate);
      entry.rate = rate;
    }
    const now = this.clock.now();
    const at = entry.bucket.reserve(now);
    if (at <= now) return;
    try {
      await this.clock.sleep(at - now, signal);
    } catch {
      throw new PlatformWriteError('NETWORK', `${platform}: the call's time ran out while it waited its turn under the platform's rate limit`);
    }
  }
}

/**
 * Reads `ORDERHUB_PLATFORM_WRITE_RATES`: comma-separated `platform=N` (N per second, evenly spaced), `platform=N/B`
 * (burst B) or `platform=off` (not paced). Empty: every platform at its connector's default. Throws on anything else.
 */
export function parseWriteRates(text: string): Map<string, WriteRate | null> {
  const out = new Map<string, WriteRate | null>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z][a-z0-9_]{0,31})=(?:(off)|(\d+(?:\.\d+)?)(?:\/(\d+))?)$/.exec(part);
    if (!m) throw new Error(`"${part}" is not platform=N, platform=N/B or platform=off`);
    const platform = m[1] as string;
    if (out.has(platform)) throw new Error(`${platform} is named twice`);
    if (m[2]) {
      out.set(platform, null);
      continue;
    }
    const rate = { perSecond: Number(m[3]), burst: m[4] === undefined ? 1 : Number(m[4]) };
    if (!(rate.perSecond > 0) || rate.burst < 1) throw new Error(`"${part}": the rate must be above 0 and the burst at least 1`);
    out.set(platform, rate);
  }
  return out;
}

/** Each platform's pace: the override where one is set, else its connector's default (none: not paced). */
export function writeRates(defaults: (platform: string) => PlatformWriteRate | undefined, overrides: Map<string, WriteRate | null>): RateOf {
  const cache = new Map<string, WriteRate | null>();
  return (platform) => {
    let r = cache.get(platform);
    if (r === undefined) {
      const d = defaults(platform);
      r = overrides.has(platform) ? (overrides.get(platform) ?? null) : d ? { perSecond: d.perSecond, burst: d.burst } : null;
      cache.set(platform, r);
    }
    return r;
  };
}
