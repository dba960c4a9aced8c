// A WMS push's signature checked over the raw bytes, before anything is stored: the own-shop push's scheme, either of
// the account's secrets while a rotated one still signs, the timestamp within the tolerance, an event id present.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HubError } from '../../../kernel/errors.ts';
import type { WmsDeps } from '../deps.ts';
import type { WmsAccount } from '../wms/views.ts';

/**
 * The push's signature, as the own-shop push: X-Orderhub-Signature v1=<hex HMAC-SHA256(secret, timestamp + "." +
 * raw body)>, the timestamp within the tolerance. Returns the account; throws before anything is stored.
 */
export async function verifyWmsPush(
  deps: WmsDeps,
  id: string,
  h: { signature?: string | undefined; timestamp?: string | undefined; eventId?: string | undefined },
  raw: Buffer,
  now: number,
  toleranceSeconds: number,
): Promise<WmsAccount> {
  const a = await deps.cache.get(id, now);
  if (!a) throw new HubError('ACCOUNT_NOT_FOUND', `no WMS account ${id}`);
  if (!a.account.active) throw new HubError('ACCOUNT_INACTIVE', `WMS account ${id} is switched off`);
  if (!h.signature) throw new HubError('SIGNATURE_MISSING', 'X-Orderhub-Signature header is required');
  if (!h.timestamp || !/^\d{1,12}$/.test(h.timestamp)) throw new HubError('TIMESTAMP_INVALID', 'X-Orderhub-Timestamp must be unix seconds');
  const candidates = h.signature
    .split(',')
    .map((p) => p.trim().split('=', 2))
    .filter(([scheme, v]) => scheme === 'v1' && v !== undefined && /^[0-9a-fA-F]{64}$/.test(v))
    .map(([, v]) => Buffer.from(v as string, 'hex'));
  if (candidates.length === 0) throw new HubError('SIGNATURE_INVALID', 'X-Orderhub-Signature must look like v1=<64 hex characters>');
  const { secret, previousSecret, previousSecretUntil } = a.secrets;
  const keys = previousSecret && (previousSecretUntil ?? 0) > now ? [secret, previousSecret] : [secret];
  const expected = keys.map((k) => createHmac('sha256', k).update(`${h.timestamp}.`).update(raw).digest());
  if (!candidates.some((c) => expected.some((e) => c.length === e.length && timingSafeEqual(c, e)))) throw new HubError('SIGNATURE_INVALID', 'signature does not match the body');
  const skew = Math.abs(now / 1000 - Number(h.timestamp));
  if (skew > toleranceSeconds) throw new HubError('TIMESTAMP_OUT_OF_WINDOW', `timestamp is ${Math.round(skew)} s away from now (allowed ±${toleranceSeconds} s)`);
  if (!h.eventId) throw new HubError('EVENT_ID_MISSING', 'X-Orderhub-Event-Id header is required');
  if (!/^[\x21-\x7e]{1,200}$/.test(h.eventId)) throw new HubError('VALIDATION_FAILED', 'X-Orderhub-Event-Id must be 1–200 visible ASCII characters');
  return a.account;
}
