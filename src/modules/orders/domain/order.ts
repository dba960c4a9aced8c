// The hub's order model and its pure arithmetic. Money is integer minor units; times are epoch milliseconds (UTC).
import type { OrderStatus } from './machine.ts';

export interface Party {
  id?: string | undefined;
  name?: string | undefined;
  phone?: string | undefined;
}

export interface Receiver {
  name: string;
  phone: string;
  province: string;
  city: string;
  district: string;
  address: string;
}

export interface OrderLineInput {
  /** The SKU as the platform knows it; the hub maps it to its own SKU. */
  sku: string;
  title: string;
  quantity: number;
  unitPrice: number;
  discount: number;
  /**
   * The platform's own id of this line where it ships lines apart (Taobao's sub-order `oid`, JD's `skuId`); a split
   * ship-back names the lines a parcel carries by it. Absent where the platform has none per line (PDD).
   */
  platformLineId?: string | undefined;
}

/** What every channel adapter produces from a platform payload: one order as the platform sees it now. */
export interface NormalizedOrder {
  platformOrderId: string;
  /** The anchor status the platform's state means; null when it does not say (the order keeps its status). */
  status: OrderStatus | null;
  /** The raw platform status, kept for the dictionary and for engineers. */
  platformStatus: string;
  /** A hold the platform's state puts on the order (ambiguous or unknown status); lifted when a later state is clear. */
  hold?: { code: string; reason: string } | undefined;
  /** The platform's own order total (minor units): when the parts do not add up to it the order is held, not refused. */
  platformTotal?: number | undefined;
  /**
   * The receiver's data as the platform gave it when the platform masks or encrypts it (Taobao OAID, PDD and JD
   * encrypted fields): stored as given; `src/modules/channels/connectors/privacy.ts` is where a decryption step plugs in.
   * (Decrypting needs the platform's own decryption API and the seller's authorisation for it.)
   */
  receiverProtection?: 'masked' | 'encrypted' | undefined;
  platformCreatedAt: number;
  /** The platform's modified time: the stale-update guard compares it. */
  sourceUpdatedAt: number;
  currency: string;
  buyer: Party;
  receiver: Receiver;
  lines: OrderLineInput[];
  shippingFee: number;
  discountPlatform: number;
  discountSeller: number;
  /** Tax charged on top of the prices (0 where prices include it, as on Chinese platforms). */
  tax?: number | undefined;
  paidAmount: number;
  /**
   * The tracking numbers the platform shows on the order (its shipments, as a pull or a push reads them): what closes
   * the ship-back loop — our number there means the platform really took our shipment. Absent when the platform's
   * data does not carry them.
   */
  platformTrackingNos?: string[] | undefined;
}

export interface OrderAmounts {
  goodsAmount: number;
  lineDiscountAmount: number;
  /** What the buyer owes: goods − line discounts + shipping + tax − platform and seller discounts. */
  totalAmount: number;
}

export function computeAmounts(o: Pick<NormalizedOrder, 'lines' | 'shippingFee' | 'discountPlatform' | 'discountSeller' | 'tax'>): OrderAmounts {
  let goods = 0;
  let lineDiscounts = 0;
  for (const l of o.lines) {
    goods += l.quantity * l.unitPrice;
    lineDiscounts += l.discount;
  }
  const total = goods - lineDiscounts + o.shippingFee + (o.tax ?? 0) - o.discountPlatform - o.discountSeller;
  return { goodsAmount: goods, lineDiscountAmount: lineDiscounts, totalAmount: total };
}

/** Problems with an order's numbers that no platform should send; empty when the order is sound. */
export function orderArithmeticProblems(o: Pick<NormalizedOrder, 'lines' | 'shippingFee' | 'discountPlatform' | 'discountSeller' | 'tax'>): string[] {
  const problems: string[] = [];
  o.lines.forEach((l, i) => {
    if (l.discount > l.quantity * l.unitPrice) problems.push(`lines[${i}].discount exceeds the line amount`);
  });
  const { totalAmount } = computeAmounts(o);
  if (totalAmount < 0) problems.push('discounts exceed the order amount');
  if (!Number.isSafeInteger(totalAmount)) problems.push('amounts are too large');
  return problems;
}

/** Readable order number: ORD-YYYYMMDD-NNNNN, the date in the seller's time zone; the counter may grow past 5 digits. */
export function formatOrderNo(day: string, n: number): string {
  return `ORD-${day}-${String(n).padStart(5, '0')}`;
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();
const lastDay = new Map<string, { minute: number; day: string }>();

/** YYYYMMDD of an instant in a time zone. */
export function dayInZone(epochMs: number, timeZone: string): string {
  // Every order asks; Intl formatting is slow and zone offsets are whole minutes, so one answer per minute.
  const minute = Math.floor(epochMs / 60_000);
  const hit = lastDay.get(timeZone);
  if (hit && hit.minute === minute) return hit.day;
  let f = dayFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timeZone, f);
  }
  const day = f.format(epochMs).replaceAll('-', '');
  lastDay.set(timeZone, { minute, day });
  return day;
}

/** Line quantities summed per SKU, sorted by SKU so that stock rows are always locked in the same order. */
export function quantitiesBySku(lines: readonly { sku: string; quantity: number }[]): [string, number][] {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l.sku, (m.get(l.sku) ?? 0) + l.quantity);
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Masks a phone number for display: 13812341234 → 138****1234. */
export function maskPhone(phone: string | null | undefined): string | null {
  if (!phone) return phone ?? null;
  if (phone.length <= 4) return '*'.repeat(phone.length);
  if (phone.length < 8) return `${'*'.repeat(phone.length - 4)}${phone.slice(-4)}`;
  return `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`;
}

/** A street address shown without its detail: the first characters, then `***`. */
export function maskAddress(address: string | null | undefined): string | null {
  if (!address) return address ?? null;
  const chars = [...address];
  return chars.length <= 2 ? '***' : `${chars.slice(0, Math.min(4, Math.floor(chars.length / 3))).join('')}***`;
}

/** A person's name with everything but its first character hidden: 张三 → 张*. */
export function maskName(name: string | null | undefined): string | null {
  if (!name) return name ?? null;
  const chars = [...name];
  return chars.length === 1 ? '*' : `${chars[0]}${'*'.repeat(Math.min(chars.length - 1, 3))}`;
}
