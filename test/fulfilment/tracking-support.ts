// Helpers for the tracking suites: pushes signed here with node:crypto from each source's documented formula (apart
// from the hub's verifiers), and shipped shipments made through the real warehouse flow over HTTP.
import { createHash, createHmac } from 'node:crypto';
import { expect } from 'vitest';
import type { TestServer } from '../support/server.ts';
import { order, paidOrder, route, setStock, uniq, warehouse, type ShipmentBody } from './hub-support.ts';

/** Beijing time text (Kuaidi100's format) for an epoch ms, to the second. */
export const bj = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000 + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
export const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();
export const sec = (ms: number): number => Math.floor(ms / 1000) * 1000;

export interface SignedPush {
  headers: Record<string, string>;
  body: Buffer;
}

/** Kuaidi100: form `param` + `sign` = uppercase hex MD5(param + salt). */
export function kuaidi100Push(salt: string, number: string, state: string, traces: { at: number; context: string; statusCode?: string; area?: string }[], com = 'yuantong'): SignedPush {
  const param = JSON.stringify({
    status: 'polling',
    message: '',
    lastResult: {
      message: 'ok',
      state,
      status: '200',
      ischeck: state === '3' ? '1' : '0',
      com,
      nu: number,
      // Newest first, as Kuaidi100 sends them.
      data: [...traces].sort((a, b) => b.at - a.at).map((t) => ({ time: bj(t.at), ftime: bj(t.at), context: t.context, ...(t.statusCode ? { statusCode: t.statusCode } : {}), ...(t.area ? { areaName: t.area } : {}) })),
    },
  });
  const sign = createHash('md5').update(param + salt, 'utf8').digest('hex').toUpperCase();
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(`param=${encodeURIComponent(param)}&sign=${sign}`, 'utf8') };
}

/** The Kuaidi100 real-time query answer (what the fake hands back for a re-check). */
export function kuaidi100QueryAnswer(number: string, state: string, traces: { at: number; context: string; statusCode?: string; area?: string }[], com = 'yuantong') {
  return {
    message: 'ok',
    nu: number,
    ischeck: state === '3' ? '1' : '0',
    com,
    status: '200',
    state,
    data: [...traces].sort((a, b) => b.at - a.at).map((t) => ({ time: bj(t.at), ftime: bj(t.at), context: t.context, ...(t.statusCode ? { statusCode: t.statusCode } : {}), ...(t.area ? { areaName: t.area } : {}) })),
  };
}

/** AfterShip: `aftership-hmac-sha256` = base64 HMAC-SHA256(secret, raw body). */
export function aftershipPush(secret: string, eventId: string, number: string, tag: string, subtag: string, checkpoints: { at: number; message: string; subtag: string; location?: string }[]): SignedPush {
  const body = Buffer.from(
    JSON.stringify({
      event: 'tracking_update',
      event_id: eventId,
      ts: Math.floor(Date.now() / 1000),
      msg: {
        id: `trk_${number}`,
        tracking_number: number,
        slug: 'yto',
        tag,
        subtag,
        checkpoints: checkpoints.map((c) => ({ checkpoint_time: iso(c.at), created_at: iso(c.at), message: c.message, tag: c.subtag.split('_')[0], subtag: c.subtag, location: c.location ?? null })),
      },
    }),
    'utf8',
  );
  return { headers: { 'content-type': 'application/json', 'aftership-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64') }, body };
}

/** 17TRACK: `sign` = hex SHA-256(raw body + "/" + key). */
export function track17Push(key: string, number: string, status: string, sub: string, events: { at: number; description: string; sub: string; location?: string }[]): SignedPush {
  const body = Buffer.from(
    JSON.stringify({
      event: 'TRACKING_UPDATED',
      data: {
        number,
        carrier: 190008,
        tag: null,
        track_info: {
          latest_status: { status, sub_status: sub },
          tracking: { providers: [{ provider: { key: 190008 }, events: [...events].sort((a, b) => b.at - a.at).map((e) => ({ time_utc: iso(e.at), time_iso: iso(e.at), description: e.description, location: e.location ?? null, sub_status: e.sub })) }] },
        },
      },
    }),
    'utf8',
  );
  const sign = createHash('sha256').update(Buffer.concat([body, Buffer.from(`/${key}`, 'utf8')])).digest('hex');
  return { headers: { 'content-type': 'application/json', sign }, body };
}

export async function sendPush(s: TestServer, path: string, p: SignedPush): Promise<{ status: number; text: string }> {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: p.headers, body: p.body });
  return { status: res.status, text: await res.text() };
}

/** One byte of the body changed (inside the tracking number's text), signature kept. */
export function tamper(p: SignedPush, needle: string): SignedPush {
  const body = Buffer.from(p.body);
  const i = body.indexOf(needle);
  if (i < 0) throw new Error(`needle ${needle} not in body`);
  body[i + needle.length - 1] = body[i + needle.length - 1] === 0x31 ? 0x32 : 0x31;
  return { headers: p.headers, body };
}

/** A paid order routed, packed and shipped with this carrier and tracking number. */
export async function shippedShipment(s: TestServer, shop: { id: string; secret: string }, carrier: string, trackingNo: string): Promise<{ orderId: string; shipment: ShipmentBody }> {
  const w = uniq('TW');
  await warehouse(s, w, { priority: 1 });
  const sku = uniq('TS');
  await setStock(s, sku, 10, w);
  const o = await paidOrder(s, shop, [[sku, 1]], { buyer: { id: uniq('buyer') } });
  await route(s, [o.id]);
  const sh = (await order(s, o.id)).shipments[0] as ShipmentBody;
  const scan = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
  expect(scan.status, JSON.stringify(scan.body)).toBe(200);
  const ship = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/ship`, { carrier, trackingNo });
  expect(ship.status, JSON.stringify(ship.body)).toBe(200);
  return { orderId: o.id, shipment: ship.body };
}

export interface TrackingBody {
  shipment: { id: string; carrier: string | null; trackingNo: string | null; trackingStatus: string | null; trustGrade: string | null; deliveredAt: string | null };
  events: { at: string; status: string; rawStatus: string | null; location: string | null; description: string; evidence: string[] }[];
}

export async function tracking(s: TestServer, shipmentId: string): Promise<TrackingBody> {
  const r = await s.api<TrackingBody>('GET', `/api/shipments/${shipmentId}/tracking`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** Waits (polling) until check returns true, or fails after the timeout (generous: the bound is not the expectation). */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}
