// The 360° view of one order: amounts, lines, history, stock, raw events, notes, routing and its parcels.
import { HubError } from '../../../kernel/errors.ts';
import { can, type Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import { reservationsOf } from '../../inventory/queries/reservations.ts';
import { rawEventsOfOrder } from '../../channels/store/raw-events.ts';
import { outboundCallsOfOrder } from '../../channels/store/outbound.ts';
import { callsOfOrder } from '../../channels/store/call-log.ts';
import { platformCallView, type PlatformCallView } from '../../channels/queries/call-log.ts';
import { outboundView } from '../../channels/queries/outbound-log.ts';
import { shipmentsOfOrder } from '../../fulfilment/warehouse-flow.ts';
import { openParcelsOf } from '../../fulfilment/store/shipments.ts';
import { priceChangeRefusal } from '../../channels/queries/channel-capabilities.ts';
import { maskAddress, maskName, maskPhone } from '../domain/order.ts';
import { allowedTargets, isOrderStatus, type OrderStatus } from '../domain/machine.ts';
import type { OrderDeps } from '../deps.ts';
import { summary, type PiiView } from '../views.ts';
import { resolveOrderId } from './resolve-order-id.ts';

/** The 360° view. `reveal` needs pii.view; the caller audits it (the view itself is a read). */
export async function orderDetail(deps: OrderDeps, who: Principal, idOrOrderNo: string, pii: PiiView = { reveal: false }) {
  if (pii.reveal && !can(who, 'pii.view')) {
    throw new HubError('FORBIDDEN', `seeing full phone numbers and addresses needs the permission pii.view, which ${who.name} does not have`, {
      permission: 'pii.view',
    });
  }
  const id = await resolveOrderId(deps, idOrOrderNo, who);
  const k = deps.db.kysely;
  const o = await k.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const [lines, history, reservations, rawEvents, notes, shipments, platformCalls, requests, openParcels, pending] = await Promise.all([
    k.selectFrom('order_lines').selectAll().where('order_id', '=', id).orderBy('line_no').execute(),
    k.selectFrom('order_history').selectAll().where('order_id', '=', id).orderBy('id').execute(),
    reservationsOf(deps.db.read, id),
    rawEventsOfOrder(deps.db.read, id),
    deps.db.read.all<{ id: number; at: number; author_name: string; text: string }>(
      'SELECT id, at, author_name, text FROM order_notes WHERE order_id = ? ORDER BY id',
      [id],
    ),
    shipmentsOfOrder(deps.db.read, id, who.scope),
    outboundCallsOfOrder(deps.db.read, id),
    callsOfOrder(deps.db.read, o.tenant_id, id),
    openParcelsOf(deps.db.read, id),
    deps.approvals.pendingOn(o.tenant_id, 'order', [id]),
  ]);
  // Each write's requests to the platform (the call log), by write.
  const requestsOf = new Map<number, PlatformCallView[]>();
  for (const c of requests.map(platformCallView)) {
    if (c.outboundId === null) continue;
    requestsOf.set(c.outboundId, [...(requestsOf.get(c.outboundId) ?? []), c]);
  }
  const status = o.status as OrderStatus;
  const k2 = deps.keyring;
  const phone = k2.decryptNullable(o.receiver_phone);
  const address = k2.decryptNullable(o.receiver_address);
  const buyerPhone = k2.decryptNullable(o.buyer_phone);
  const r = pii.reveal;
  return {
    ...summary(o, k2, pii),
    piiRevealed: r,
    receiver: {
      name: (r ? o.receiver_name : maskName(o.receiver_name)) ?? '',
      phone: r ? phone : maskPhone(phone),
      province: o.receiver_province,
      city: o.receiver_city,
      district: o.receiver_district,
      address: (r ? address : maskAddress(address)) ?? '',
      // Masked or encrypted by the platform itself: what the hub holds is what the platform gave.
      protection: o.receiver_protection,
    },
    buyer: { id: o.buyer_id, name: r ? o.buyer_name : maskName(o.buyer_name), phone: r ? buyerPhone : maskPhone(buyerPhone) },
    amounts: {
      goods: o.goods_amount,
      lineDiscounts: o.line_discount_amount,
      shippingFee: o.shipping_fee,
      discountPlatform: o.discount_platform,
      discountSeller: o.discount_seller,
      tax: o.tax_amount,
      total: o.total_amount,
      paid: o.paid_amount,
    },
    lines: lines.map((l) => ({
      lineNo: l.line_no,
      sku: l.sku,
      platformSku: l.external_sku,
      title: l.title,
      quantity: l.quantity,
      unitPrice: l.unit_price,
      discount: l.discount,
    })),
    reservation: {
      state: o.reservation_state,
      items: reservations,
    },
    cancelCause: o.cancel_cause,
    paidAt: toIso(o.paid_at),
    cancelledAt: toIso(o.cancelled_at),
    sourceUpdatedAt: toIso(o.source_updated_at),
    version: o.version,
    allowedTransitions: isOrderStatus(status) ? allowedTargets(status) : [],
    // Actions the console must not offer as they stand, each with the code the server would refuse it with.
    blockedActions: {
      priceChange: priceChangeRefusal(o.channel) ? ('PRICE_CHANGE_UNSUPPORTED' as const) : null,
      ship: openParcels.length ? ('SHIP_THROUGH_WAREHOUSE' as const) : null,
    },
    pendingApprovals: pending.get(id) ?? [],
    history: history.map((h) => ({
      at: toIso(h.at),
      kind: h.kind,
      from: h.from_status,
      to: h.to_status,
      cause: h.cause,
      sourceTime: toIso(h.source_time),
      rawEventId: h.raw_event_id,
      detail: h.detail ? (JSON.parse(h.detail) as unknown) : null,
    })),
    notes: notes.map((n) => ({ id: Number(n.id), at: toIso(Number(n.at)), author: n.author_name, text: n.text })),
    rawEvents: rawEvents.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      channel: r.channel,
      receivedAt: toIso(r.received_at),
      deliveries: r.deliveries,
      outcome: r.outcome,
    })),
    routing: {
      planId: o.dispatch_plan_id,
      checkedAt: toIso(o.routing_checked_at === null ? null : Number(o.routing_checked_at)),
      problems: o.dispatch_plan_id || !o.routing_problem ? null : (JSON.parse(o.routing_problem) as { code: string; message: string; sku?: string }[]),
    },
    shipments,
    sellerRemark: o.seller_remark_at === null ? null : { text: o.seller_remark ?? '', flag: o.seller_flag === null ? null : Number(o.seller_flag), at: toIso(Number(o.seller_remark_at)) },
    platformCalls: platformCalls
      .map(outboundView)
      .map(({ id, kind, shipmentId, state, attempts, lastStatus, lastCode, lastError, lastLatencyMs, carrier, trackingNo, remark, flag, createdAt, updatedAt, confirmedAt, supersededBy, exception }) => ({
        id,
        kind,
        shipmentId,
        state,
        attempts,
        lastStatus,
        lastCode,
        lastError,
        lastLatencyMs,
        carrier,
        trackingNo,
        remark,
        flag,
        createdAt,
        updatedAt,
        confirmedAt,
        supersededBy,
        exceptionReason: exception?.reason ?? null,
        requests: (requestsOf.get(id) ?? []).map(({ op, attempt, httpStatus, result, code, latencyMs, at }) => ({ op, attempt, httpStatus, result, code, latencyMs, at })),
      })),
  };
}

export type OrderDetail = Awaited<ReturnType<typeof orderDetail>>;
