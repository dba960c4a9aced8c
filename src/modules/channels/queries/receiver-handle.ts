// The platform's handle on an order's protected receiver, as the platform delivered the order (Taobao's oaid): what a
// carrier network's waybill request names instead of an address, so the hub never decrypts one. Read from the order's
// latest raw event (kept encrypted by the hub; opened here only to read the handle).
import type { Reader } from '../../../platform/db/database.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';

/**
 * Where each platform puts the handle in its order JSON. JD's orderInfo `oaid` is read when JD sends one (JD's
 * jingdong.jos.order.oaid.decrypt takes orderId + oaid; its place in enSearch's orderInfo is not confirmed); Douyin and
 * PDD need none: their ciphertexts are the handle, kept as the receiver.
 */
const handleField: Readonly<Record<string, string>> = { taobao: 'oaid', jd: 'oaid' };

export async function receiverHandle(q: Reader, keyring: Keyring, orderId: string, channel: string): Promise<string | null> {
  const field = handleField[channel];
  if (!field) return null;
  const row = await q.get<{ body: string }>('SELECT body FROM raw_events WHERE order_id = ? ORDER BY id DESC LIMIT 1', [orderId]);
  if (!row) return null;
  try {
    const parsed: unknown = JSON.parse(keyring.decrypt(row.body));
    const v = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>)[field] : undefined;
    return typeof v === 'string' && v ? v : null;
  } catch {
    return null;
  }
}
