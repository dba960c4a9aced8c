// The one lock order and the one retry policy (src/platform/db/unit-of-work.ts), as pure rules; the behaviour they buy
// on PostgreSQL is tested by test/orders/operator-platform-race-pg.test.ts.
import { describe, expect, it } from 'vitest';
import { HubError } from '../../src/kernel/errors.ts';
import { LockLedger, LockOrderViolation, lockOrder, newContention, withRetry } from '../../src/platform/db/unit-of-work.ts';

describe('the lock ledger', () => {
  it('accepts locks taken in the documented order and answers the fresh keys sorted', () => {
    const l = new LockLedger();
    expect(l.take('order', ['o2', 'o1'])).toEqual(['o1', 'o2']);
    expect(l.take('shipment', ['s1'])).toEqual(['s1']);
    expect(l.take('stock', ['B', 'A'])).toEqual(['A', 'B']);
    expect(l.take('timer', ['t'])).toEqual(['t']);
    expect(l.take('audit', ['tenant'])).toEqual(['tenant']);
  });

  it('refuses a lock of an earlier kind after a later one (an order after stock)', () => {
    const l = new LockLedger();
    l.take('stock', ['A']);
    expect(() => l.take('order', ['o1'])).toThrow(LockOrderViolation);
    expect(() => l.take('order', ['o1'])).toThrow(/order o1 after stock/);
  });

  it('refuses a smaller key after a larger one of a kind locked several at a time', () => {
    for (const kind of ['order', 'shipment', 'refund', 'stock'] as const) {
      const l = new LockLedger();
      l.take(kind, ['m']);
      expect(() => l.take(kind, ['a']), kind).toThrow(/descending/);
      expect(l.take(kind, ['z']), kind).toEqual(['z']);
    }
  });

  it('lets a held key be named again at any time, and locks nothing twice', () => {
    const l = new LockLedger();
    l.take('order', ['o1', 'o5']);
    l.take('stock', ['A']);
    expect(l.take('order', ['o1'])).toEqual([]);
    expect(l.take('stock', ['A'])).toEqual([]);
    expect(l.holds('order', 'o5')).toBe(true);
  });

  it('takes a timer its owner (the order) covers without raising the rank, so stock may still follow', () => {
    const l = new LockLedger();
    l.take('order', ['o1']);
    l.takeOwned('timer', 'payment_timeout:o1', { kind: 'order', key: 'o1' });
    expect(l.take('stock', ['A'])).toEqual(['A']);
    // Without its owner held it is an ordinary timer lock, and stock after it breaks the order.
    const m = new LockLedger();
    m.takeOwned('timer', 'payment_timeout:o9', { kind: 'order', key: 'o9' });
    expect(() => m.take('stock', ['A'])).toThrow(LockOrderViolation);
  });

  it('counts rows the transaction created as held without ordering them', () => {
    const l = new LockLedger();
    l.take('stock', ['A']);
    l.created('order', 'new-order');
    expect(l.holds('order', 'new-order')).toBe(true);
    expect(l.take('order', ['new-order'])).toEqual([]);
  });

  it('says whether a key may still be taken in order, and starts again after reset', () => {
    const l = new LockLedger();
    l.take('order', ['o5']);
    expect(l.mayTake('order', 'o9')).toBe(true);
    expect(l.mayTake('order', 'o1')).toBe(false);
    l.take('stock', ['A']);
    expect(l.mayTake('order', 'o9')).toBe(false);
    l.reset();
    expect(l.take('order', ['o1'])).toEqual(['o1']);
  });

  it('documents every kind once, the job lease first and the audit head last', () => {
    expect(new Set(lockOrder).size).toBe(lockOrder.length);
    expect(lockOrder[0]).toBe('lease');
    expect(lockOrder[lockOrder.length - 1]).toBe('audit');
    expect(lockOrder.indexOf('order')).toBeLessThan(lockOrder.indexOf('stock'));
  });
});

describe('the retry policy', () => {
  const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
  const retryable = (e: unknown) => (e as { code?: string }).code === '40P01';
  const fast = { attempts: 4, backoffMs: () => 0 };

  it('runs a transaction that lost a deadlock again until it succeeds, and counts the deadlocks', async () => {
    const c = newContention();
    let n = 0;
    const out = await withRetry(
      async () => {
        if (++n < 3) throw deadlock;
        return 'done';
      },
      retryable,
      fast,
      c,
    );
    expect(out).toBe('done');
    expect(n).toBe(3);
    expect(c.deadlocks).toBe(2);
  });

  it('answers BUSY (503), not an internal error, when every attempt deadlocked', async () => {
    let n = 0;
    const e = await withRetry(
      async () => {
        n++;
        throw deadlock;
      },
      retryable,
      fast,
    ).catch((x: unknown) => x);
    expect(n).toBe(4);
    expect(e).toBeInstanceOf(HubError);
    expect((e as HubError).code).toBe('BUSY');
  });

  it('never retries what is not a deadlock or serialisation failure', async () => {
    let n = 0;
    const e = await withRetry(
      async () => {
        n++;
        throw new HubError('CONFLICT', 'no');
      },
      retryable,
      fast,
    ).catch((x: unknown) => x);
    expect(n).toBe(1);
    expect((e as HubError).code).toBe('CONFLICT');
  });
});
