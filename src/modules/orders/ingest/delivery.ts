// What ingestion is handed and answers: a verified delivery, its personal data sealed, a replay, the outcomes.
import { createHash } from 'node:crypto';
import type { NormalizedOrder } from '../domain/order.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';

export interface Delivery {
  tenantId: string;
  accountId: string;
  channel: string;
  eventId: string;
  receivedAt: number;
  headers: Record<string, string>;
  rawBody: Buffer;
  orders: NormalizedOrder[];
  /** How it came: a platform push (the default), the hub's scheduled pull, or a fetch of orders a push announced. */
  via?: 'push' | 'pull' | 'fetch';
  /**
   * Its personal data already encrypted and hashed (sealDelivery). With the SQLite writer thread the HTTP thread
   * does this before handing the delivery over, so the one writer spends its time on statements only.
   */
  sealed?: SealedDelivery;
}

/** A delivery's values as stored: the body encrypted with its digest, and per order the phones and address. */
export interface SealedDelivery {
  body: string;
  bodySha256: string;
  orders: SealedOrder[];
}

/** Buyer phone and its index hash, receiver phone and its index hash, receiver address: encrypted or keyed hashes. */
export interface SealedOrder {
  phones: [string | null, string | null, string, string];
  address: string;
}

/**
 * The buyer's and the receiver's phone as stored: encrypted, and keyed hashes for exact search. Most orders name
 * one number for both: it is sealed once (the index hash shows the two are equal anyway).
 */
export function sealOrder(keyring: Keyring, n: NormalizedOrder): SealedOrder {
  const receiver = n.receiver.phone;
  const buyer = n.buyer.phone;
  const r: [string, string] = [keyring.encrypt(receiver), keyring.indexHash(receiver)];
  const phones: SealedOrder['phones'] =
    buyer === null || buyer === undefined || buyer === '' ? [null, null, ...r] : buyer === receiver ? [...r, ...r] : [keyring.encrypt(buyer), keyring.indexHash(buyer), ...r];
  return { phones, address: keyring.encrypt(n.receiver.address) };
}

/** Encrypts and hashes what a delivery stores of personal data; the payload is kept encrypted like the order's columns. */
export function sealDelivery(keyring: Keyring, d: Delivery): SealedDelivery {
  return {
    body: keyring.encryptBytes(d.rawBody),
    bodySha256: createHash('sha256').update(d.rawBody).digest('hex'),
    orders: d.orders.map((n) => sealOrder(keyring, n)),
  };
}

/** Re-applies a stored raw event after a mapping fix: the same source time is applied again, an older one is not. */
export interface Replay {
  tenantId: string;
  accountId: string;
  channel: string;
  rawEventId: number;
  at: number;
  /** Who asked, for the history's cause. */
  by: string;
  orders: NormalizedOrder[];
}

export type OrderOutcome = 'created' | 'updated' | 'unchanged' | 'duplicate' | 'stale' | 'refused_transition';

export interface OrderResult {
  outcome: OrderOutcome;
  orderId: string;
  orderNo: string;
  status: string;
  reservation: string;
  hold: string | null;
  detail?: string;
}

export interface DeliveryResult {
  rawEventId: number;
  /** True when this event id was seen before: nothing was done again. */
  duplicateDelivery: boolean;
  orders: OrderResult[];
}
