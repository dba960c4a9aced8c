// Pure order arithmetic and formatting.
import { describe, expect, it } from 'vitest';
import { computeAmounts, dayInZone, formatOrderNo, maskPhone, orderArithmeticProblems, quantitiesBySku } from '../../src/modules/orders/domain/order.ts';
import { parseIsoInstant } from '../../src/kernel/time.ts';

describe('order arithmetic', () => {
  it('adds up goods, line discounts, shipping and both kinds of discount in minor units', () => {
    const a = computeAmounts({
      lines: [
        { sku: 'A', title: '', quantity: 3, unitPrice: 1999, discount: 500 },
        { sku: 'B', title: '', quantity: 1, unitPrice: 1, discount: 0 },
      ],
      shippingFee: 800,
      discountPlatform: 300,
      discountSeller: 200,
    });
    expect(a).toEqual({ goodsAmount: 5998, lineDiscountAmount: 500, totalAmount: 5998 - 500 + 800 - 300 - 200 });
  });

  it('flags discounts larger than what they discount', () => {
    const base = {
      platformOrderId: 'x', status: 'paid' as const, platformStatus: 'paid', platformCreatedAt: 0, sourceUpdatedAt: 0, currency: 'CNY',
      buyer: {}, receiver: { name: '', phone: '', province: '', city: '', district: '', address: '' }, shippingFee: 0, paidAmount: 0,
    };
    expect(orderArithmeticProblems({ ...base, lines: [{ sku: 'A', title: '', quantity: 1, unitPrice: 100, discount: 101 }], discountPlatform: 0, discountSeller: 0 }))
      .toContain('lines[0].discount exceeds the line amount');
    expect(orderArithmeticProblems({ ...base, lines: [{ sku: 'A', title: '', quantity: 1, unitPrice: 100, discount: 0 }], discountPlatform: 60, discountSeller: 60 }))
      .toContain('discounts exceed the order amount');
  });

  it('sums quantities per SKU in a fixed order so rows are always locked alike', () => {
    expect(quantitiesBySku([{ sku: 'B', quantity: 1 }, { sku: 'A', quantity: 2 }, { sku: 'B', quantity: 3 }])).toEqual([['A', 2], ['B', 4]]);
  });

  it('numbers orders by the seller’s day', () => {
    // 2026-11-21T17:00Z is already the 22nd in Shanghai.
    expect(dayInZone(Date.parse('2026-11-21T17:00:00Z'), 'Asia/Shanghai')).toBe('20261122');
    expect(dayInZone(Date.parse('2026-11-21T17:00:00Z'), 'UTC')).toBe('20261121');
    expect(formatOrderNo('20261122', 123)).toBe('ORD-20261122-00123');
    expect(formatOrderNo('20261122', 1234567)).toBe('ORD-20261122-1234567');
  });

  it('masks phone numbers', () => {
    expect(maskPhone('13812341234')).toBe('138****1234');
    expect(maskPhone('1234')).toBe('****');
    expect(maskPhone(null)).toBeNull();
  });

  it('accepts only instants that name their offset', () => {
    expect(parseIsoInstant('2026-11-22T10:00:00+08:00')).toBe(Date.parse('2026-11-22T02:00:00Z'));
    expect(parseIsoInstant('2026-11-22T02:00:00.123Z')).toBe(Date.parse('2026-11-22T02:00:00.123Z'));
    expect(parseIsoInstant('2026-11-22T10:00:00')).toBeNull();
    expect(parseIsoInstant('yesterday')).toBeNull();
  });
});
