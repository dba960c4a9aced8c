import { describe, expect, it } from 'vitest';
import { decimalToMinor } from '../../src/kernel/money.ts';

describe('amounts as platforms send them', () => {
  it('become exact minor units by the currency', () => {
    expect(decimalToMinor('199.00', 'CNY')).toBe(19900);
    expect(decimalToMinor('0.1', 'USD')).toBe(10);
    expect(decimalToMinor(19.9, 'CNY')).toBe(1990);
    expect(decimalToMinor(0.07, 'USD')).toBe(7); // 0.07 * 100 is 7.000000000000001 in floats
    expect(decimalToMinor('1200', 'JPY')).toBe(1200);
    expect(decimalToMinor('1.250', 'KWD')).toBe(1250);
    expect(decimalToMinor('19.990', 'CNY')).toBe(1999);
    expect(decimalToMinor('-5.50', 'EUR')).toBe(-550);
  });

  it('refuses what is not an amount, or finer than the currency', () => {
    expect(() => decimalToMinor('19.995', 'CNY')).toThrow(/more decimals/);
    expect(() => decimalToMinor('12.5', 'JPY')).toThrow(/more decimals/);
    expect(() => decimalToMinor('abc', 'CNY')).toThrow(/not a decimal/);
    expect(() => decimalToMinor('1e3', 'CNY')).toThrow(/not a decimal/);
    expect(() => decimalToMinor('1', 'XYZ1')).toThrow(/unknown currency/);
  });
});
