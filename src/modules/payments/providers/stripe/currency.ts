// Stripe's `amount` is an integer in Stripe's own unit for the currency, which is not always the hub's minor unit
// (money.ts takes the exponent from Intl, i.e. CLDR). Stripe's unit (docs.stripe.com/currencies):
// - zero-decimal currencies: whole units (JPY 500 = ¥500);
// - BHD, JOD, KWD, OMR, TND: thousandths, and the last digit must be 0 (KWD 5.120 = 5120);
// - every other currency: hundredths, including the "special cases" ISK and UGX (zero-decimal in practice, but Stripe
//   keeps two decimals for backwards compatibility: 5 ISK = 500) and HUF and TWD (two-decimal charges, whole-unit
//   payouts). UGX is in Stripe's zero-decimal list too; the special-cases table, which is about charges, wins.
// Amounts are converted exactly or refused: a HUF 10.45 charge has no value in the hub's forint (exponent 0).
import { HubError } from '../../../../kernel/errors.ts';
import { currencyExponent } from '../../../../kernel/money.ts';

const zeroDecimal = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const threeDecimal = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);
const known = new Set(Intl.supportedValuesOf('currency'));

/** Decimal places of Stripe's `amount` unit for an upper-case ISO code. */
export function stripeExponent(currency: string): number {
  return zeroDecimal.has(currency) ? 0 : threeDecimal.has(currency) ? 3 : 2;
}

/** How many of Stripe's units make one hub minor unit (1, 10, 100 …); refuses a currency where Stripe's unit is coarser. */
function ratio(currency: string): number {
  const diff = stripeExponent(currency) - currencyExponent(currency);
  if (diff < 0) {
    // Only currencies Stripe does not document (LYD) land here: guessing a factor could misstate money 10-fold.
    throw new HubError('VALIDATION_FAILED', `Stripe does not document amounts in ${currency}, so they are not converted`);
  }
  return 10 ** diff;
}

/** A lower-case Stripe currency as the hub's upper-case ISO code. */
export function stripeCurrency(v: unknown, field = 'currency'): string {
  if (typeof v !== 'string' || !/^[a-z]{3}$/.test(v)) throw new HubError('VALIDATION_FAILED', `${field} must be a lower-case ISO 4217 code, got ${JSON.stringify(v)}`);
  const c = v.toUpperCase();
  // Intl formats any three letters; only codes it lists are currencies.
  if (!known.has(c)) throw new HubError('VALIDATION_FAILED', `${field} ${v} is not a known currency`);
  return c;
}

/** Stripe's integer amount as hub minor units, exactly. */
export function stripeToMinor(amount: unknown, currency: string, field = 'amount'): number {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) {
    throw new HubError('VALIDATION_FAILED', `${field} must be a non-negative integer, got ${JSON.stringify(amount)}`);
  }
  const r = ratio(currency);
  if (amount % r !== 0) {
    throw new HubError('VALIDATION_FAILED', `${field} ${amount} is a fraction of the hub's ${currency} minor unit (Stripe counts ${currency} in 1/${10 ** stripeExponent(currency)})`);
  }
  return amount / r;
}

/** Hub minor units as Stripe's integer amount, refusing what Stripe would refuse (KWD 5.124: the last digit must be 0). */
export function minorToStripe(minor: number, currency: string, field = 'amount'): number {
  if (!Number.isSafeInteger(minor) || minor <= 0) throw new HubError('VALIDATION_FAILED', `${field} must be a positive integer in minor units`);
  const amount = minor * ratio(currency);
  if (!Number.isSafeInteger(amount)) throw new HubError('VALIDATION_FAILED', `${field} ${minor} ${currency} is too large`);
  if (threeDecimal.has(currency) && amount % 10 !== 0) {
    throw new HubError('VALIDATION_FAILED', `${field} ${minor} ${currency}: Stripe requires three-decimal amounts to end in 0`);
  }
  return amount;
}
