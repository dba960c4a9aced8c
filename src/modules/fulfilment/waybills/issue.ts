// Getting and giving back one parcel's waybill number, the part the commands share.
//
// Why a synchronous call and not an outbox job: the packer stands at the station waiting for the label, so the number
// is wanted now, and a job would make them poll. What keeps it safe is the order of steps: (1) a `requesting` row
// with the parcel's object id commits first — one live row per parcel (partial unique index); (2) the network is
// called outside any transaction; (3) the number commits with its event. If the answer is lost or the process dies
// between (2) and (3), the row stays `requesting` and the next request (the packer's retry, or an owed cancel) asks
// again with the same object id, which the network answers with the same number: never two numbers for one parcel,
// and nothing lost. Cancels are owed rows (`cancel_pending`) worked after commit and retried, like outbound calls.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { shopCredentials } from '../../channels/queries/accounts.ts';
import { receiverHandle } from '../../channels/queries/receiver-handle.ts';
import type { PlatformCallTrace } from '../../channels/connectors/types.ts';
import { recordPlatformCalls } from '../../channels/store/call-log.ts';
import { maskAddress, maskName, maskPhone } from '../../orders/domain/order.ts';
import { waybillOrders, type WaybillOrder } from '../../orders/queries/waybill-orders.ts';
import type { Query, ShipmentRow } from '../views.ts';
import { waybillClientFor } from './networks.ts';
import { PlatformWriteError, type WaybillClient, type WaybillPrint, type WaybillRequest, type WaybillSender } from './types.ts';
import { networkForChannel, openCredentials, type WaybillAccountRow, type WaybillDeps, type WaybillRow } from './views.ts';

/** The parcel's live waybill (being requested, or issued), if any. */
export function liveWaybill(q: Query, shipmentId: string): Promise<WaybillRow | undefined> {
  return q.get<WaybillRow>(`SELECT * FROM waybills WHERE shipment_id = ? AND state IN ('requesting', 'issued')`, [shipmentId]);
}

/** The parcel's latest waybill in any state (a label of a shipped parcel prints its issued number). */
export function latestWaybill(q: Query, shipmentId: string): Promise<WaybillRow | undefined> {
  return q.get<WaybillRow>('SELECT * FROM waybills WHERE shipment_id = ? ORDER BY id DESC LIMIT 1', [shipmentId]);
}

/**
 * The account that gets this parcel its number: the network of its orders' platform (Cainiao for Taobao/Tmall, PDD
 * for PDD …), preferring one for the carrier the plan chose. Refused with a clear error when there is none.
 */
export async function chooseAccount(q: Query, tenantId: string, orders: readonly WaybillOrder[], carrier: string | null): Promise<WaybillAccountRow> {
  const channel = orders[0]?.channel ?? '';
  const network = networkForChannel[channel];
  if (!network) throw new HubError('WAYBILL_ACCOUNT_MISSING', `no carrier network issues e-waybills for ${channel || 'this'} orders: ship with a tracking number instead`, { channel });
  const mixed = orders.find((o) => networkForChannel[o.channel] !== network);
  if (mixed) throw new HubError('WAYBILL_ACCOUNT_MISSING', `the parcel mixes ${channel} and ${mixed.channel} orders: one network cannot issue its waybill`, { channels: [channel, mixed.channel] });
  const rows = await q.all<WaybillAccountRow>('SELECT * FROM waybill_accounts WHERE tenant_id = ? AND network = ? AND active = 1 ORDER BY created_at, id', [tenantId, network]);
  const pick = (carrier ? rows.find((r) => r.carrier === carrier) : undefined) ?? rows[0];
  if (!pick) throw new HubError('WAYBILL_ACCOUNT_MISSING', `there is no ${network} waybill account: add one under waybill accounts before printing labels for ${channel} orders`, { network, channel });
  return pick;
}

/**
 * What the network's calls are signed with: the waybill account's credentials, and for a network that is the orders'
 * own platform (Shopee) the credentials of the shop the parcel's order came from beside them, as `shop`.
 */
export async function callCredentials(deps: WaybillDeps, client: WaybillClient<unknown>, account: WaybillAccountRow, orders: readonly WaybillOrder[]): Promise<unknown> {
  const own = openCredentials(deps.keyring, account);
  if (!client.signedByShop) return own;
  const first = orders[0];
  const shop = first ? await shopCredentials(deps.db.read, deps.keyring, account.tenant_id, first.accountId) : null;
  if (!shop || shop.platform !== client.signedByShop) {
    throw new HubError('WAYBILL_ACCOUNT_MISSING', `${client.label} waybills are signed by the order's own ${client.signedByShop} shop, and this parcel's shop is gone or is not one`, { network: account.network });
  }
  return { ...own, shop: shop.credentials };
}

/** The receiver as the network gets it: the platform's ciphertext as stored, else the hub's mask; never decrypted. */
function receiverFor(o: WaybillOrder): WaybillRequest['receiver'] {
  const r = o.receiver;
  if (o.protection) return { ...r };
  return { name: maskName(r.name) ?? '', phone: maskPhone(r.phone) ?? '', province: r.province, city: r.city, district: r.district, address: maskAddress(r.address) ?? '' };
}

async function buildRequest(deps: WaybillDeps, s: ShipmentRow, w: WaybillRow, account: WaybillAccountRow, orders: readonly WaybillOrder[]): Promise<WaybillRequest> {
  const lines = await deps.db.read.all<{ order_id: string; line_no: number; sku: string; quantity: number }>('SELECT order_id, line_no, sku, quantity FROM shipment_lines WHERE shipment_id = ? ORDER BY order_id, line_no', [s.id]);
  const byId = new Map(orders.map((o) => [o.id, o]));
  const first = orders[0] as WaybillOrder;
  return {
    objectId: w.object_id,
    carrier: w.carrier,
    sender: JSON.parse(account.sender) as WaybillSender,
    orders: await Promise.all(orders.map(async (o) => ({ channel: o.channel, platformOrderId: o.platformOrderId, receiverHandle: await receiverHandle(deps.db.read, deps.keyring, o.id, o.channel) }))),
    receiver: receiverFor(first),
    items: lines.map((l) => ({ name: byId.get(l.order_id)?.titles.get(Number(l.line_no)) || l.sku, count: Number(l.quantity) })),
    weightGrams: Number(s.weight_grams),
  };
}

/** Orders of the parcel that must not leave: a waybill is not asked for them. */
export function refuseStopped(s: ShipmentRow, orders: readonly WaybillOrder[]): void {
  if (s.state === 'cancelled') throw new HubError('SHIPMENT_CANCELLED', `shipment ${s.id} was cancelled (${s.cancel_reason ?? ''}): it gets no waybill`, { state: s.state });
  if (['shipped', 'delivered', 'returned'].includes(s.state)) throw new HubError('SHIPMENT_ALREADY_SHIPPED', `shipment ${s.id} has already left (${s.carrier ?? ''} ${s.tracking_no ?? ''})`.trim(), { state: s.state });
  for (const o of orders) {
    if (o.status === 'cancelled') throw new HubError('CONFLICT', `order ${o.orderNo} was cancelled: shipment ${s.id} gets no waybill`, { orderId: o.id });
    if (o.held) throw new HubError('ORDER_HELD', `order ${o.orderNo} is on hold: shipment ${s.id} gets no waybill until it is released`, { orderId: o.id });
  }
}

export async function ordersOf(deps: WaybillDeps, s: ShipmentRow): Promise<WaybillOrder[]> {
  return waybillOrders(deps.db.read, deps.keyring, s.tenant_id, JSON.parse(s.order_ids) as string[]);
}

/** Asks the network for the row's number (again, for the same object id) and commits it; the row as it ends. */
export async function requestNumber(deps: WaybillDeps, who: Principal, s: ShipmentRow, w: WaybillRow, orders: readonly WaybillOrder[], now: number): Promise<WaybillRow> {
  const account = await deps.db.read.get<WaybillAccountRow>('SELECT * FROM waybill_accounts WHERE id = ?', [w.account_id]);
  const client = account ? waybillClientFor(account.network) : null;
  if (!account || !client) throw new HubError('WAYBILL_ACCOUNT_MISSING', `the waybill account of shipment ${s.id} is gone`);
  const request = await buildRequest(deps, s, w, account, orders);
  const credentials = await callCredentials(deps, client, account, orders);
  const calls: PlatformCallTrace[] = [];
  const log = (tx: Tx, outcome: Parameters<typeof recordPlatformCalls>[3], subject = w.object_id) => recordWaybillCalls(tx, s, w, account, orders, calls, outcome, subject);
  try {
    const issued = await client.issue({ credentials, fetch: deps.fetch, now: Date.now, signal: AbortSignal.timeout(deps.callTimeoutMs), onCall: (c) => calls.push(c) }, request);
    deps.log.info({ network: account.network, accountId: account.id, shipmentId: s.id, objectId: w.object_id }, 'waybill issued');
    await deps.db.transaction(async (tx) => {
      await log(tx, { result: 'ok', code: null, error: null }, issued.waybillNo);
      // A parcel stopped while the call was out is still owed its cancel: the number is kept for it.
      const changed = await tx.run(
        `UPDATE waybills SET state = CASE WHEN state = 'requesting' THEN 'issued' ELSE state END, waybill_no = ?, sort_code = ?, print_data = ?, issued_at = ?, error_code = NULL, error = NULL,
           attempts = attempts + 1, updated_at = ? WHERE id = ? AND state IN ('requesting', 'cancel_pending') AND (waybill_no IS NULL OR waybill_no = ?)`,
        [issued.waybillNo, issued.print.sortCode ?? null, JSON.stringify(issued.print), now, now, w.id, issued.waybillNo],
      );
      if (changed !== 1) throw new HubError('CONFLICT', `the waybill of shipment ${s.id} changed meanwhile`);
      const after = await tx.get<{ state: string }>('SELECT state FROM waybills WHERE id = ?', [w.id]);
      if (after?.state === 'issued') await issuedEvent(tx, who, s, { ...w, waybill_no: issued.waybillNo }, now);
    });
    // The network's own label, where it makes one, while the parcel is still at the station (the number is what
    // matters: a label not ready yet is asked for again at the next request, and the hub prints its own meanwhile).
    await fetchDocument(deps, client, { ...w, waybill_no: issued.waybillNo, print_data: JSON.stringify(issued.print) }, credentials, now);
  } catch (e) {
    if (e instanceof HubError) throw e;
    const err = e instanceof PlatformWriteError ? e : new PlatformWriteError('NETWORK', e instanceof Error ? e.message : String(e));
    deps.log.warn({ network: account.network, accountId: account.id, shipmentId: s.id, code: err.code, refused: Boolean(err.opts.refused) }, 'waybill request failed');
    if (err.opts.refused) {
      // Refused: nothing was issued under this object id, so nothing is kept (a fixed request may use it again).
      await deps.db.transaction(async (tx) => {
        await tx.run(`DELETE FROM waybills WHERE id = ? AND state = 'requesting' AND waybill_no IS NULL`, [w.id]);
        await log(tx, { result: 'refused', code: err.code, error: err.message });
      });
      throw new HubError('WAYBILL_REFUSED', `${client.label} refused the waybill for shipment ${s.id}: ${err.message}`, { network: account.network, code: err.code });
    }
    // Maybe issued behind a lost answer: the row stays `requesting` and the next request asks for the same object id.
    // A network that said when to come back (Shopee's number not given yet, a rate limit) is asked again then by the
    // waybill worker, so the number arrives without the packer asking.
    const due = err.opts.retryAfterMs !== undefined ? now + err.opts.retryAfterMs : null;
    await deps.db.transaction(async (tx) => {
      await tx.run(`UPDATE waybills SET attempts = attempts + 1, error_code = ?, error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'requesting'`, [err.code, err.message.slice(0, 500), due, now, w.id]);
      await log(tx, { result: 'retry', code: err.code, error: err.message });
    });
    const again = err.code === 'TRACKING_NUMBER_PENDING' ? 'it is asked again shortly' : 'try again, the same number will come back';
    throw new HubError('WAYBILL_UNAVAILABLE', `${client.label} did not give a number for shipment ${s.id} (${err.message}): ${again}`, { network: account.network, code: err.code, ...(due !== null ? { retryAfterMs: err.opts.retryAfterMs } : {}) });
  }
  return (await deps.db.read.get<WaybillRow>('SELECT * FROM waybills WHERE id = ?', [w.id])) as WaybillRow;
}

async function issuedEvent(tx: Tx, who: Principal, s: ShipmentRow, w: WaybillRow, now: number): Promise<void> {
  const waybillNo = w.waybill_no ?? '';
  await appendEvent(tx, { tenantId: s.tenant_id, type: 'waybill.issued', aggregateType: 'shipment', aggregateId: s.id, at: now, payload: { shipmentId: s.id, network: w.network, carrier: w.carrier, waybillNo, accountId: w.account_id } });
  for (const orderId of JSON.parse(s.order_ids) as string[]) {
    await appendHistory(tx, { tenantId: s.tenant_id, orderId, at: now, kind: 'fulfilment', cause: `${who.name}: waybill`, detail: { shipmentId: s.id, step: 'waybill', carrier: w.carrier, waybillNo } });
  }
}

/**
 * Works one owed cancel: a number not yet known is asked for again under the same object id (the network answers the
 * one it issued), then given back. Returns true when the network confirmed; false (with the error kept and the next
 * attempt set) when it is to be retried.
 */
export async function workCancel(deps: WaybillDeps, who: Principal, w: WaybillRow, now: number): Promise<boolean> {
  const account = await deps.db.read.get<WaybillAccountRow>('SELECT * FROM waybill_accounts WHERE id = ?', [w.account_id]);
  const client = account ? waybillClientFor(account.network) : null;
  const s = await deps.db.read.get<ShipmentRow>('SELECT * FROM shipments WHERE id = ?', [w.shipment_id]);
  if (!account || !client || !s) return false;
  const calls: PlatformCallTrace[] = [];
  const orders = await ordersOf(deps, s);
  try {
    let number = w.waybill_no;
    // A network that keeps its numbers (Shopee) has nothing to give back: the cancel is only recorded, and a number it
    // has not given is not asked for (asking would arrange the shipment).
    if (!client.keepsNumbers) {
      const credentials = await callCredentials(deps, client, account, orders);
      const ctx = () => ({ credentials, fetch: deps.fetch, now: Date.now, signal: AbortSignal.timeout(deps.callTimeoutMs), onCall: (c: PlatformCallTrace) => calls.push(c) });
      number ??= (await client.issue(ctx(), await buildRequest(deps, s, w, account, orders))).waybillNo;
      await client.cancel(ctx(), { carrier: w.carrier, waybillNo: number });
    }
    await deps.db.transaction(async (tx) => {
      await recordWaybillCalls(tx, s, w, account, orders, calls, { result: 'ok', code: null, error: null }, number ?? w.object_id);
      const changed = await tx.run(`UPDATE waybills SET state = 'cancelled', waybill_no = ?, cancelled_at = ?, next_attempt_at = NULL, error_code = NULL, error = NULL, updated_at = ? WHERE id = ? AND state = 'cancel_pending'`, [number || null, now, now, w.id]);
      if (changed !== 1) return;
      await appendEvent(tx, { tenantId: w.tenant_id, type: 'waybill.cancelled', aggregateType: 'shipment', aggregateId: w.shipment_id, at: now, payload: { shipmentId: w.shipment_id, network: w.network, carrier: w.carrier, waybillNo: number ?? '', reason: w.cancel_reason ?? '' } });
      for (const orderId of JSON.parse(s.order_ids) as string[]) {
        await appendHistory(tx, { tenantId: w.tenant_id, orderId, at: now, kind: 'fulfilment', cause: `${who.name}: waybill cancelled`, detail: { shipmentId: w.shipment_id, step: 'waybill_cancelled', waybillNo: number, reason: w.cancel_reason } });
      }
    });
    deps.log.info({ network: w.network, shipmentId: w.shipment_id }, 'waybill cancelled');
    return true;
  } catch (e) {
    const err = e instanceof PlatformWriteError ? e : new PlatformWriteError('NETWORK', e instanceof Error ? e.message : String(e));
    const wait = Math.max(Math.min(3_600_000, deps.retryBaseMs * 2 ** Math.min(Number(w.attempts), 16)), err.opts.retryAfterMs ?? 0);
    deps.log.warn({ network: w.network, shipmentId: w.shipment_id, code: err.code }, 'waybill cancel failed');
    await deps.db.transaction(async (tx) => {
      await tx.run(`UPDATE waybills SET attempts = attempts + 1, error_code = ?, error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'cancel_pending'`, [err.code, err.message.slice(0, 500), now + wait, now, w.id]);
      await recordWaybillCalls(tx, s, w, account, orders, calls, { result: err.opts.refused ? 'refused' : 'retry', code: err.code, error: err.message }, w.waybill_no ?? w.object_id);
    });
    return false;
  }
}

/**
 * A waybill call's requests in the platform call log, under the shop of the parcel's (first) order, so they show on
 * that shop's integration page and in the order's 360° view beside its ship-back.
 */
async function recordWaybillCalls(
  tx: Tx,
  s: ShipmentRow,
  w: WaybillRow,
  account: WaybillAccountRow,
  orders: readonly WaybillOrder[],
  calls: readonly PlatformCallTrace[],
  outcome: Parameters<typeof recordPlatformCalls>[3],
  subject: string,
): Promise<void> {
  const first = orders[0];
  if (!first || !calls.length) return;
  await recordPlatformCalls(
    tx,
    { tenantId: s.tenant_id, accountId: first.accountId, platform: account.network, kind: 'waybill', subject, orderId: first.id, attempt: Number(w.attempts) + 1 },
    calls,
    outcome,
  );
}

/**
 * Fetches and keeps the network's own label for an issued waybill (Shopee's shipping document), once: Shopee prints it
 * only until the parcel is picked up, and a reprint must still work. Best effort — a label not ready yet or a network
 * that does not answer is logged and asked for again at the parcel's next waybill request; the hub's own label prints
 * meanwhile. Returns whether a document is kept now.
 */
export async function fetchDocument(deps: WaybillDeps, client: WaybillClient<unknown>, w: WaybillRow, credentials: unknown, now: number): Promise<boolean> {
  if (!client.document || !w.waybill_no) return false;
  const kept = await deps.db.read.get<{ waybill_id: number }>('SELECT waybill_id FROM waybill_documents WHERE waybill_id = ?', [w.id]);
  if (kept) return true;
  try {
    const print = (w.print_data ? JSON.parse(w.print_data) : {}) as WaybillPrint;
    const doc = await client.document({ credentials, fetch: deps.fetch, now: Date.now, signal: AbortSignal.timeout(deps.callTimeoutMs) }, { waybillNo: w.waybill_no, print }, { polls: deps.documentPolls, pollMs: deps.documentPollMs });
    if (!doc) {
      deps.log.info({ network: w.network, shipmentId: w.shipment_id }, 'waybill document not ready yet');
      return false;
    }
    await deps.db.transaction((tx) =>
      tx.run(`INSERT INTO waybill_documents (waybill_id, tenant_id, shipment_id, content_type, body, fetched_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (waybill_id) DO NOTHING`, [
        w.id,
        w.tenant_id,
        w.shipment_id,
        doc.contentType,
        doc.body.toString('base64'),
        now,
      ]),
    );
    deps.log.info({ network: w.network, shipmentId: w.shipment_id, bytes: doc.body.length }, 'waybill document kept');
    return true;
  } catch (e) {
    const err = e instanceof PlatformWriteError ? e : new PlatformWriteError('NETWORK', e instanceof Error ? e.message : String(e));
    deps.log.warn({ network: w.network, shipmentId: w.shipment_id, code: err.code }, 'waybill document not fetched');
    return false;
  }
}

/** The network's own label kept for a waybill, if any. */
export async function keptDocument(q: Query, waybillId: number): Promise<{ contentType: string; body: Buffer } | null> {
  const r = await q.get<{ content_type: string; body: string }>('SELECT content_type, body FROM waybill_documents WHERE waybill_id = ?', [waybillId]);
  return r ? { contentType: r.content_type, body: Buffer.from(r.body, 'base64') } : null;
}

/** For a parcel asked for again (a reprint, a second click): the network's own label if it was not ready before. */
export async function ensureDocument(deps: WaybillDeps, w: WaybillRow, orders: readonly WaybillOrder[], now: number): Promise<void> {
  const account = await deps.db.read.get<WaybillAccountRow>('SELECT * FROM waybill_accounts WHERE id = ?', [w.account_id]);
  const client = account ? waybillClientFor(account.network) : null;
  if (!account || !client?.document || w.state !== 'issued') return;
  if (await keptDocument(deps.db.read, w.id)) return;
  let credentials: unknown;
  try {
    credentials = await callCredentials(deps, client, account, orders);
  } catch {
    return;
  }
  await fetchDocument(deps, client, w, credentials, now);
}
