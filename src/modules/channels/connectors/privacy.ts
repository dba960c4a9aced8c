// Platform-protected buyer data. Taobao (OAID), JD, Pinduoduo and Douyin give the receiver masked or encrypted, and
// decrypting it is the platform's own API, called with the seller's authorisation, often metered and audited by the
// platform (Taobao top.oaid.decrypt, PDD pdd.open.decrypt.batch, JD's TDE, Douyin order.batchDecrypt). The hub stores
// what the platform gave, marks it (orders.receiver_protection) and shows it as is; a deployment that has that
// authorisation registers a decryptor here, and shipping (issue 7) asks it for the address when a label is printed.
import type { Receiver } from '../../orders/domain/order.ts';

export interface ReceiverDecryptor {
  readonly platform: string;
  /** The receiver in clear, from the platform's decryption API; the order's raw payload is given for its ciphertext ids. */
  decrypt(credentials: unknown, receiver: Receiver, rawOrder: unknown): Promise<Receiver>;
}

const decryptors = new Map<string, ReceiverDecryptor>();

export function registerDecryptor(d: ReceiverDecryptor): void {
  decryptors.set(d.platform, d);
}

/** The decryptor for a platform, or null: without one the receiver stays as the platform gave it. */
export function decryptorFor(platform: string): ReceiverDecryptor | null {
  return decryptors.get(platform) ?? null;
}
