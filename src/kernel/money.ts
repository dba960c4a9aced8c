// Money as platforms send it ("199.00", 19.9) turned into integer minor units exactly, by the currency's exponent.
import { HubError } from './errors.ts';

const exponents = new Map<string, number>();

/** Decimal places of a currency's minor unit (CNY 2, JPY 0, KWD 3). */
export function currencyExponent(currency: string): number {
  let e = exponents.get(currency);
  if (e === undefined) {
    try {
      e = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      throw new HubError('VALIDATION_FAILED', `unknown currency ${currency}`);
    }
    exponents.set(currency, e);
  }
  return e;
}

/**
 * "19.99" CNY → 1999, by string arithmetic (never through a float). More decimals than the currency has must be
 * zeros ("19.990" is fine, "19.995" is refused): a platform that sends fractions of a cent has a bug worth seeing.
 */
export function decimalToMinor(value: string | number, currency: string, field = 'amount'): number {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new HubError('VALIDATION_FAILED', `${field} is not a decimal amount: ${JSON.stringify(value)}`);
  const exp = currencyExponent(currency);
  const frac = m[3] ?? '';
  if (frac.length > exp && /[^0]/.test(frac.slice(exp))) {
    throw new HubError('VALIDATION_FAILED', `${field} ${text} has more decimals than ${currency} has minor units`);
  }
  const minor = Number(m[2]) * 10 ** exp + Number((frac.slice(0, exp) || '0').padEnd(exp, '0'));
  if (!Number.isSafeInteger(minor)) throw new HubError('VALIDATION_FAILED', `${field} ${text} is too large`);
  return m[1] === '-' ? -minor : minor;
}

/** A JSON number as the decimal text it was written as (19.9 → "19.9"), without exponent notation. */
function numberText(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = String(n);
  return /e/i.test(s) ? n.toFixed(12).replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * Integer minor units as the decimal amount a person reads, with the currency's decimals: 9980 CNY → "99.80",
 * 500 JPY → "500", -5 CNY → "-0.05". String arithmetic only, never a float.
 */
export function minorToDecimal(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new HubError('VALIDATION_FAILED', `amount ${minor} is not an integer of minor units`);
  const exp = currencyExponent(currency);
  const digits = String(Math.abs(minor));
  const sign = minor < 0 ? '-' : '';
  if (exp === 0) return sign + digits;
  const padded = digits.padStart(exp + 1, '0');
  return `${sign}${padded.slice(0, -exp)}.${padded.slice(-exp)}`;
}
