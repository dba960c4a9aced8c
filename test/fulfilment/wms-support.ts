// What the WMS tests share: a status dictionary, and pushes signed as a WMS would sign them (apart from the hub's code).
import { createHmac, randomUUID } from 'node:crypto';
import type { TestServer } from '../support/server.ts';
import type { ErrorReply } from './hub-support.ts';

export interface WmsAnswer {
  ok: boolean;
  duplicate: boolean;
  shipmentId: string;
  status: string;
  step: string;
  outcome: string;
  state: string;
}

export const dictionary = { '1100': 'ignored', '1200': 'picked', '1300': 'packed', '1400': 'shipped', CANCEL_REQ: 'ignored' };

/** Signed as a WMS would sign it: v1=hex HMAC-SHA256(secret, timestamp + "." + raw body), written apart from the hub's verifier. */
export function signed(secret: string, body: unknown, eventId = randomUUID(), ts = Math.floor(Date.now() / 1000)): { headers: Record<string, string>; body: Buffer } {
  const raw = Buffer.from(JSON.stringify(body), 'utf8');
  const mac = createHmac('sha256', secret).update(`${ts}.`).update(raw).digest('hex');
  return { headers: { 'content-type': 'application/json', 'x-orderhub-event-id': eventId, 'x-orderhub-timestamp': String(ts), 'x-orderhub-signature': `v1=${mac}` }, body: raw };
}

export async function wmsPush(s: TestServer, accountId: string, p: { headers: Record<string, string>; body: Buffer }): Promise<{ status: number; body: WmsAnswer & ErrorReply }> {
  const res = await fetch(`${s.url}/hooks/wms/${accountId}`, { method: 'POST', headers: p.headers, body: p.body });
  return { status: res.status, body: (await res.json()) as WmsAnswer & ErrorReply };
}
