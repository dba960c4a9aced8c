// The decider's diff read from stored payloads, including requests stored before the diff existed (no "before", no currency).
import { describe, expect, it } from 'vitest';
import { approvalDiff } from '../../src/modules/access/approval-diff.ts';

describe('approvalDiff', () => {
  it('reads a bulk stock request stored without the counts when asked: before unknown, after only for a new count', () => {
    expect(approvalDiff('stock.bulk_adjust', { items: [{ sku: 'A1', warehouse: 'WH1', onHand: 9 }, { sku: 'B1', warehouse: 'WH1', delta: -2 }], reason: 'x' })).toEqual({
      kind: 'stock.bulk_adjust',
      rows: [
        { sku: 'A1', warehouse: 'WH1', before: null, after: 9, delta: null, safetyStock: null },
        { sku: 'B1', warehouse: 'WH1', before: null, after: null, delta: -2, safetyStock: null },
      ],
    });
  });

  it('reads a paid cancellation stored without its currency', () => {
    expect(approvalDiff('order.cancel_paid', { orderId: 'o1', orderNo: 'ORD-1', version: 3, reason: 'r', status: 'paid', paidAmount: 1999 })).toEqual({
      kind: 'order.cancel_paid',
      orderId: 'o1',
      orderNo: 'ORD-1',
      currency: null,
      status: { from: 'paid', to: 'cancelled' },
      paidAmount: 1999,
    });
  });

  it('answers null for a price change whose payload has no total (a shape it does not know), never a made-up diff', () => {
    expect(approvalDiff('order.price_change', { orderId: 'o1', lines: 'not a list' })).toBeNull();
  });

  it('names the account and the user a deletion removes', () => {
    expect(approvalDiff('channel_account.delete', { accountId: 'a1', name: '旗舰店', platform: 'taobao', reason: 'r' })).toEqual({ kind: 'channel_account.delete', accountId: 'a1', name: '旗舰店', platform: 'taobao' });
    expect(approvalDiff('user.delete', { userId: 'u1', username: 'leaver', reason: 'r' })).toEqual({ kind: 'user.delete', userId: 'u1', username: 'leaver' });
  });
});
