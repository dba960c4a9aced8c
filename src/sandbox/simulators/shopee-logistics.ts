// The Shopee simulator's logistics half (v2.logistics), behind the same gateway checks as its order API: each order has
// one package; get_shipping_parameter offers pickup (two addresses, time slots, one recommended) and drop-off for an
// integrated channel, or non_integrated for an order a test puts on a non-integrated channel; ship_order arranges it
// once (READY_TO_SHIP → PROCESSED; refused "logistic status not ready to ship" after that), get_tracking_number gives
// Shopee's number (empty for the first reads a test asks for), and the shipping document task (create → result →
// download) serves a small PDF. The 3PL's pickup (PROCESSED → SHIPPED) happens when a test says so.
// Written apart from the hub's connector: nothing from src/modules.
import { createHash } from 'node:crypto';
import type { SimOrder, SimRequest, SimResponse } from './types.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const digits = (text: string, n: number) => String(Number.parseInt(createHash('sha256').update(text).digest('hex').slice(0, 12), 16)).padStart(n, '0').slice(-n);

// Shopee's error names for these refusals are not documented where we could read them; the messages are Shopee's
// (its FAQ quotes "logistic status not ready to ship" and "Order status does not support awb printing").
const notReadyError = 'logistics.invalid_order_status';

interface Package {
  packageNumber: string;
  method: 'pickup' | 'dropoff' | 'non_integrated';
  /** '' until Shopee's channel has given it. */
  trackingNo: string;
  /** get_tracking_number answers empty this many more times before the number is given. */
  readsBeforeNumber: number;
  collected: boolean;
  arrangedAt: number;
  /** How many times ship_order was applied for the order (one platform shipment: 1). */
  applied: number;
  /** Shipping document tasks by type: result asks left before it is READY. */
  documents: Map<string, number>;
}

export interface ShopeeLogisticsHooks {
  /** Puts the order on a non-integrated channel: ship_order takes the seller's number (non_integrated). */
  useNonIntegratedChannel(orderSn: string): void;
  /** The next order arranged gets its number only after get_tracking_number answered empty `reads` times. */
  delayTrackingNumber(reads: number): void;
  /** The 3PL picked the parcel up: PROCESSED → SHIPPED, visible in the next pull. */
  collectParcel(orderSn: string): void;
  /** How many times ship_order was applied for the order (a retried call must not make a second shipment). */
  arrangementsOf(orderSn: string): number;
  /** The document asks answered PROCESSING before a task is READY (default 1; tasks under way are shortened too). */
  documentReadyAfter(asks: number): void;
  /** The 3PL picks every arranged parcel up this long after it was arranged (the demo); null: only when told. */
  collectParcelsAfter(ms: number | null): void;
}

export interface ShopeeLogisticsEnv {
  orders: Map<string, SimOrder>;
  /** The order's status as its phase says (UNPAID, READY_TO_SHIP, CANCELLED …), before any arrangement. */
  baseStatus(o: SimOrder): string;
  answer(status: number, body: Json): SimResponse;
  failure(status: number, error: string, message: string): SimResponse;
  /** The order changed on Shopee now (its update_time moves). */
  touch(o: SimOrder): void;
  /** A write failure a test asked for (see PlatformSimulator.failNextWrite), taken by the next ship_order. */
  takeFailure(): { status: number; applied?: boolean; code?: string; message?: string } | null;
}

export function shopeeLogistics(env: ShopeeLogisticsEnv) {
  const packages = new Map<string, Package>();
  const nonIntegrated = new Set<string>();
  let delayReads = 0;
  let documentAsks = 1;
  let collectAfterMs: number | null = null;

  const packageNumber = (sn: string) => `OFG${digits(`pkg:${sn}`, 12)}`;

  /** The order's status with its shipment: arranged → PROCESSED, picked up → SHIPPED (a cancel or a later phase wins). */
  function statusOf(o: SimOrder): string {
    const base = env.baseStatus(o);
    const p = packages.get(o.id);
    if (!p || base !== 'READY_TO_SHIP') return base;
    return p.collected || p.method === 'non_integrated' ? 'SHIPPED' : 'PROCESSED';
  }

  function logisticsStatus(o: SimOrder): string {
    const status = statusOf(o);
    const p = packages.get(o.id);
    if (status === 'CANCELLED') return p ? 'LOGISTICS_REQUEST_CANCELED' : 'LOGISTICS_INVALID';
    if (status === 'UNPAID') return 'LOGISTICS_NOT_START';
    if (status === 'READY_TO_SHIP') return 'LOGISTICS_READY';
    if (status === 'PROCESSED') return 'LOGISTICS_REQUEST_CREATED';
    if (status === 'SHIPPED') return 'LOGISTICS_PICKUP_DONE';
    return 'LOGISTICS_DELIVERY_DONE';
  }

  /** get_order_detail's package_list for the order: one package. */
  function packageList(o: SimOrder): Json[] {
    return [{ package_number: packageNumber(o.id), logistics_status: logisticsStatus(o), shipping_carrier: carrierOf(o.id), logistics_channel_id: nonIntegrated.has(o.id) ? 28_000 : 18_025, item_list: [] }];
  }

  const carrierOf = (sn: string) => (nonIntegrated.has(sn) ? 'Others (West Malaysia)' : 'SPX Express');

  function orderOf(sn: string | null | undefined): SimOrder | SimResponse {
    const o = sn ? env.orders.get(sn) : undefined;
    if (!sn) return env.failure(400, 'error_param', 'Wrong parameters, detail: order_sn is required.');
    if (!o) return env.failure(400, 'error_not_found', 'Wrong parameters, detail: the order is not found.');
    return o;
  }
  const isResponse = (x: SimOrder | SimResponse): x is SimResponse => 'status' in x && 'body' in x && !('phase' in x);

  /** A package number, where given, must be the order's. */
  function packageChecked(o: SimOrder, given: unknown): SimResponse | null {
    if (given === undefined || given === null) return null;
    return given === packageNumber(o.id) ? null : env.failure(400, 'logistics.package_not_exist', `Package ${String(given)} does not belong to order ${o.id}.`);
  }

  const addresses = (sn: string) => {
    const slots = [1, 2].map((d) => {
      const date = Math.floor(Date.now() / 86_400_000 + d) * 86_400;
      return { date, time_text: '', pickup_time_id: String(date), ...(d === 1 ? { flags: ['recommended'] } : {}) };
    });
    return [
      { address_id: 2826, region: 'MY', state: 'Selangor', city: 'Petaling Jaya', district: '', town: '', address: `Warehouse B ${digits(sn, 2)}`, zipcode: '47301', address_flag: ['default_address', 'return_address'], time_slot_list: slots },
      { address_id: 3019, region: 'MY', state: 'Kuala Lumpur', city: 'Kuala Lumpur', district: '', town: '', address: 'Jalan Sim 1', zipcode: '50450', address_flag: ['pickup_address'], time_slot_list: slots },
    ];
  };

  function shippingParameter(q: URLSearchParams): SimResponse {
    const o = orderOf(q.get('order_sn'));
    if (isResponse(o)) return o;
    const bad = packageChecked(o, q.get('package_number') ?? undefined);
    if (bad) return bad;
    if (statusOf(o) !== 'READY_TO_SHIP') return env.failure(400, notReadyError, 'logistic status not ready to ship');
    if (nonIntegrated.has(o.id)) return env.answer(200, { response: { info_needed: { non_integrated: ['tracking_no'] } } });
    return env.answer(200, {
      response: {
        info_needed: { pickup: ['address_id', 'pickup_time_id'], dropoff: [] },
        dropoff: { branch_list: null, slug_list: null },
        pickup: { address_list: addresses(o.id) },
      },
    });
  }

  function parse(body: Buffer): Json | SimResponse {
    try {
      const b: unknown = JSON.parse(body.toString('utf8'));
      return isObject(b) ? b : env.failure(400, 'error_param', 'The request body is not a valid json format');
    } catch {
      return env.failure(400, 'error_param', 'The request body is not a valid json format');
    }
  }
  const isJson = (x: Json | SimResponse): x is Json => !('status' in x && 'body' in x && typeof x.status === 'number');

  function shipOrder(body: Buffer): SimResponse {
    const b = parse(body);
    if (!isJson(b)) return b;
    const o = orderOf(typeof b.order_sn === 'string' ? b.order_sn : null);
    if (isResponse(o)) return o;
    const bad = packageChecked(o, b.package_number);
    if (bad) return bad;
    const ways = ['pickup', 'dropoff', 'non_integrated'].filter((k) => b[k] !== undefined);
    if (ways.length !== 1) return env.failure(400, 'error_param', 'Wrong parameters, detail: exactly one of pickup, dropoff and non_integrated is required.');
    const way = ways[0] as Package['method'];
    const fail = env.takeFailure();
    if (fail && !fail.applied) return env.failure(fail.status, fail.code ?? 'logistics.ship_order_failed', fail.message ?? 'Ship order failed.');
    if (statusOf(o) !== 'READY_TO_SHIP') return env.failure(400, notReadyError, 'logistic status not ready to ship');
    const arg = b[way];
    if (!isObject(arg)) return env.failure(400, 'error_param', `Wrong parameters, detail: ${way} must be an object.`);
    let trackingNo = '';
    if (nonIntegrated.has(o.id)) {
      if (way !== 'non_integrated') return env.failure(400, 'logistics.error_param', 'This order uses a non-integrated channel: ship it with non_integrated.tracking_number.');
      trackingNo = typeof arg.tracking_number === 'string' ? arg.tracking_number.trim() : '';
      if (!/^[A-Za-z0-9-]{5,40}$/.test(trackingNo)) return env.failure(400, 'logistics.error_param', 'Wrong parameters, detail: non_integrated.tracking_number is invalid.');
    } else if (way === 'non_integrated') {
      return env.failure(400, 'logistics.error_param', 'This order uses an integrated channel: ship it with pickup or dropoff.');
    } else if (way === 'pickup') {
      const address = addresses(o.id).find((a) => a.address_id === arg.address_id);
      if (!address) return env.failure(400, 'logistics.error_param', 'Wrong parameters, detail: pickup.address_id is invalid.');
      if (!address.time_slot_list.some((t) => t.pickup_time_id === arg.pickup_time_id)) return env.failure(400, 'logistics.error_param', 'Wrong parameters, detail: pickup.pickup_time_id is invalid.');
    }
    const p: Package = { packageNumber: packageNumber(o.id), method: way, trackingNo, readsBeforeNumber: way === 'non_integrated' ? 0 : delayReads, collected: false, arrangedAt: Date.now(), applied: 1, documents: new Map() };
    delayReads = 0;
    // Shopee's channel numbers its parcel: an SPX-like number, the same for the same order.
    if (way !== 'non_integrated' && p.readsBeforeNumber === 0) p.trackingNo = `SPXMY${digits(`awb:${o.id}`, 11)}`;
    packages.set(o.id, p);
    env.touch(o);
    // The answer lost after Shopee applied it.
    if (fail) return { status: fail.status, body: fail.status === 502 ? '<html>502 Bad Gateway</html>' : JSON.stringify({ error: fail.code ?? 'error_server', message: fail.message ?? 'Internal error.' }) };
    return env.answer(200, { response: {} });
  }

  /** The number as Shopee holds it: given after the delayed reads (the order changes then, as the tracking push says). */
  function numberOf(o: SimOrder, p: Package, count: boolean): string {
    if (!p.trackingNo && count) {
      if (p.readsBeforeNumber > 0) p.readsBeforeNumber--;
      else {
        p.trackingNo = `SPXMY${digits(`awb:${o.id}`, 11)}`;
        env.touch(o);
      }
    }
    return p.trackingNo;
  }

  function trackingNumber(q: URLSearchParams): SimResponse {
    const o = orderOf(q.get('order_sn'));
    if (isResponse(o)) return o;
    const bad = packageChecked(o, q.get('package_number') ?? undefined);
    if (bad) return bad;
    const p = packages.get(o.id);
    if (!p) return env.failure(400, notReadyError, 'The package has not been arranged for shipment.');
    const trackingNo = numberOf(o, p, true);
    return env.answer(200, { response: { tracking_number: trackingNo, ...(trackingNo ? {} : { hint: 'The 3PL has not returned the tracking number yet.' }) } });
  }

  function massTrackingNumber(body: Buffer): SimResponse {
    const b = parse(body);
    if (!isJson(b)) return b;
    const list = Array.isArray(b.package_list) ? b.package_list : [];
    if (list.length < 1 || list.length > 50) return env.failure(400, 'error_param', 'Wrong parameters, detail: package_list should contain 1 to 50 packages.');
    const success: Json[] = [];
    const failed: Json[] = [];
    for (const x of list) {
      const n = isObject(x) && typeof x.package_number === 'string' ? x.package_number : '';
      const o = [...env.orders.values()].find((y) => packageNumber(y.id) === n);
      const p = o ? packages.get(o.id) : undefined;
      if (!o || !p) failed.push({ package_number: n, fail_reason: 'The package has not been arranged for shipment.' });
      else success.push({ package_number: n, tracking_number: numberOf(o, p, false) });
    }
    return env.answer(200, { response: { success_list: success, fail_list: failed } });
  }

  const documentTypes = new Set(['NORMAL_AIR_WAYBILL', 'THERMAL_AIR_WAYBILL', 'NORMAL_JOB_AIR_WAYBILL', 'THERMAL_JOB_AIR_WAYBILL']);

  /** Each entry of a document call's order_list: the order and its package, or why not. */
  function documentEntries(b: Json, each: (o: SimOrder, p: Package, x: Json) => Json): SimResponse {
    const list = Array.isArray(b.order_list) ? b.order_list : [];
    if (list.length < 1 || list.length > 50) return env.failure(400, 'error_param', 'Wrong parameters, detail: order_list should contain 1 to 50 orders.');
    const results = list.map((x) => {
      const e = isObject(x) ? x : {};
      const sn = typeof e.order_sn === 'string' ? e.order_sn : '';
      const o = env.orders.get(sn);
      const p = o ? packages.get(sn) : undefined;
      if (!o || !p) return { order_sn: sn, fail_error: notReadyError, fail_message: 'Order status does not support awb printing' };
      if (e.package_number !== undefined && e.package_number !== p.packageNumber) return { order_sn: sn, fail_error: 'logistics.package_not_exist', fail_message: 'Package does not exist.' };
      if (statusOf(o) !== 'PROCESSED' || !p.trackingNo) return { order_sn: sn, package_number: p.packageNumber, fail_error: notReadyError, fail_message: 'Order status does not support awb printing' };
      return each(o, p, e);
    });
    return env.answer(200, { response: { result_list: results } });
  }

  function createDocument(body: Buffer): SimResponse {
    const b = parse(body);
    if (!isJson(b)) return b;
    return documentEntries(b, (o, p, e) => {
      const type = typeof e.shipping_document_type === 'string' ? e.shipping_document_type : 'NORMAL_AIR_WAYBILL';
      if (!documentTypes.has(type)) return { order_sn: o.id, package_number: p.packageNumber, fail_error: 'logistics.invalid_document_type', fail_message: 'Invalid shipping document type.' };
      if (e.tracking_number !== undefined && e.tracking_number !== p.trackingNo) return { order_sn: o.id, package_number: p.packageNumber, fail_error: 'logistics.tracking_number_invalid', fail_message: 'The tracking number does not match the package.' };
      if (!p.documents.has(type)) p.documents.set(type, documentAsks);
      return { order_sn: o.id, package_number: p.packageNumber };
    });
  }

  function documentResult(body: Buffer): SimResponse {
    const b = parse(body);
    if (!isJson(b)) return b;
    return documentEntries(b, (o, p, e) => {
      const type = typeof e.shipping_document_type === 'string' ? e.shipping_document_type : 'NORMAL_AIR_WAYBILL';
      const left = p.documents.get(type);
      if (left === undefined) return { order_sn: o.id, package_number: p.packageNumber, fail_error: 'logistics.shipping_document_should_create_first', fail_message: 'Please create the shipping document first.' };
      if (left > 0) {
        p.documents.set(type, left - 1);
        return { order_sn: o.id, package_number: p.packageNumber, status: 'PROCESSING' };
      }
      return { order_sn: o.id, package_number: p.packageNumber, status: 'READY' };
    });
  }

  function download(body: Buffer): SimResponse {
    const b = parse(body);
    if (!isJson(b)) return b;
    const type = typeof b.shipping_document_type === 'string' ? b.shipping_document_type : 'NORMAL_AIR_WAYBILL';
    const list = Array.isArray(b.order_list) ? b.order_list.filter(isObject) : [];
    if (list.length !== 1) return env.failure(400, 'error_param', 'Wrong parameters, detail: order_list should contain 1 order in this simulator.');
    const sn = typeof list[0]?.order_sn === 'string' ? list[0].order_sn : '';
    const o = env.orders.get(sn);
    const p = o ? packages.get(sn) : undefined;
    if (!o || !p || p.documents.get(type) !== 0) return env.failure(400, 'logistics.shipping_document_not_ready', 'The shipping document is not ready, please get_shipping_document_result first.');
    return { status: 200, headers: { 'content-type': 'application/pdf' }, body: '', bytes: airwayBill(o.id, p.trackingNo, carrierOf(o.id)) };
  }

  return {
    statusOf,
    packageList,
    /** The 3PL's pickups that are due (collectParcelsAfter): run before each request, so every read sees them. */
    tick(now = Date.now()): void {
      if (collectAfterMs === null) return;
      for (const [sn, p] of packages) {
        const o = env.orders.get(sn);
        if (!p.collected && p.trackingNo && o && env.baseStatus(o) === 'READY_TO_SHIP' && now - p.arrangedAt >= collectAfterMs) {
          p.collected = true;
          env.touch(o);
        }
      }
    },
    /** The tracking numbers Shopee holds for the order (shipmentsOf). */
    numbersOf(sn: string): string[] {
      const p = packages.get(sn);
      return p?.trackingNo ? [p.trackingNo] : [];
    },
    /** A logistics route, answered; null when the route is not one of them. */
    handle(route: string, req: SimRequest): SimResponse | null {
      switch (route) {
        case 'GET /api/v2/logistics/get_shipping_parameter':
          return shippingParameter(req.query);
        case 'POST /api/v2/logistics/ship_order':
          return shipOrder(req.body);
        case 'GET /api/v2/logistics/get_tracking_number':
          return trackingNumber(req.query);
        case 'POST /api/v2/logistics/get_mass_tracking_number':
          return massTrackingNumber(req.body);
        case 'POST /api/v2/logistics/create_shipping_document':
          return createDocument(req.body);
        case 'POST /api/v2/logistics/get_shipping_document_result':
          return documentResult(req.body);
        case 'POST /api/v2/logistics/download_shipping_document':
          return download(req.body);
        default:
          return null;
      }
    },
    hooks: {
      useNonIntegratedChannel(sn) {
        nonIntegrated.add(sn);
      },
      delayTrackingNumber(reads) {
        delayReads = reads;
      },
      collectParcel(sn) {
        const p = packages.get(sn);
        const o = env.orders.get(sn);
        if (!p || !o) throw new Error(`order ${sn} has no arranged shipment`);
        p.collected = true;
        env.touch(o);
      },
      arrangementsOf(sn) {
        return packages.get(sn)?.applied ?? 0;
      },
      collectParcelsAfter(ms) {
        collectAfterMs = ms;
      },
      documentReadyAfter(asks) {
        documentAsks = asks;
        // Tasks under way finish no later than new ones would.
        for (const p of packages.values()) for (const [t, left] of p.documents) p.documents.set(t, Math.min(left, asks));
      },
    } satisfies ShopeeLogisticsHooks,
  };
}

/** A one-page A6 PDF airway bill, written by hand (offsets counted), with the number and the carrier as text. */
export function airwayBill(orderSn: string, trackingNo: string, carrier: string): Buffer {
  const text = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const content = `BT /F1 16 Tf 20 380 Td (${text(carrier)}) Tj ET\nBT /F1 22 Tf 20 330 Td (${text(trackingNo)}) Tj ET\nBT /F1 12 Tf 20 300 Td (Order ${text(orderSn)}) Tj ET\n0 g 20 200 258 60 re f\n`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}endstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((n) => `${String(n).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
