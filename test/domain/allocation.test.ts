// The one allocation rule (库存分配): what a channel account may offer of a SKU, as every push and byChannel compute it.
import { describe, expect, it } from 'vitest';
import { defaultAllocation, sellableFor } from '../../src/modules/inventory/domain/allocation.ts';

const rows = [
  { onHand: 30, reserved: 5, safetyStock: 2 },
  { onHand: 12, reserved: 2, safetyStock: 1 },
];

describe('sellableFor', () => {
  it('is on hand − reserved − the rows’ safety stock with the defaults, over every warehouse', () => {
    expect(sellableFor(rows, 'A', defaultAllocation, null)).toBe(32);
  });

  it('takes the account’s safety stock off, then its ratio, rounding down', () => {
    expect(sellableFor(rows, 'A', { ratioPct: 50, safetyStock: 3, syncEnabled: true }, null)).toBe(14); // floor(29 × 0.5)
    expect(sellableFor(rows, 'A', { ratioPct: 33, safetyStock: 0, syncEnabled: true }, null)).toBe(10); // floor(32 × 0.33)
    expect(sellableFor(rows, 'A', { ratioPct: 0, safetyStock: 0, syncEnabled: true }, null)).toBe(0);
  });

  it('is never below 0', () => {
    expect(sellableFor([{ onHand: 3, reserved: 3, safetyStock: 2 }], 'A', defaultAllocation, null)).toBe(0);
    expect(sellableFor(rows, 'A', { ratioPct: 100, safetyStock: 1000, syncEnabled: true }, null)).toBe(0);
    expect(sellableFor([], 'A', defaultAllocation, null)).toBe(0);
  });

  it('gives a SKU allocated exclusively to another account 0, and its own account the full share', () => {
    expect(sellableFor(rows, 'A', defaultAllocation, 'B')).toBe(0);
    expect(sellableFor(rows, 'B', defaultAllocation, 'B')).toBe(32);
  });

  it('writes a listing’s fixed quantity, but never more than is free; a cap limits it', () => {
    expect(sellableFor(rows, 'A', { ratioPct: 10, safetyStock: 0, syncEnabled: true }, null, { fixedQuantity: 20, capQuantity: null })).toBe(20);
    expect(sellableFor(rows, 'A', defaultAllocation, null, { fixedQuantity: 50, capQuantity: null })).toBe(32);
    expect(sellableFor(rows, 'A', defaultAllocation, null, { fixedQuantity: null, capQuantity: 7 })).toBe(7);
    expect(sellableFor(rows, 'A', defaultAllocation, null, { fixedQuantity: 20, capQuantity: 7 })).toBe(7);
    expect(sellableFor(rows, 'A', defaultAllocation, 'B', { fixedQuantity: 20, capQuantity: null })).toBe(0);
  });
});
