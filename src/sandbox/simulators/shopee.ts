// A Shopee shop on Open Platform v2: order status pushes signed (push key) for the registered callback URL, and the order
// API (get_order_list, get_order_detail, get_escrow_detail and its batch form), the product API and the logistics API
// (shopee-logistics.ts: arranging shipments, Shopee's tracking numbers, shipping documents) behind Shopee's gateway
// checks: partner_id, a 5-minute timestamp, the shop-level sign, access_token and shop_id, with Shopee's error envelope.
// Written apart from the adapter (nothing from src/channels): its signer and checks are its own.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { currencyExponent } from '../../kernel/money.ts';
import { shopeeLogistics, type ShopeeLogisticsHooks } from './shopee-logistics.ts';
import type { PlatformSimulator, SimOrder, SimPush, SimRequest, SimResponse, SimulatorFactory } from './types.ts';

const phaseStatus: Record<SimOrder['phase'], string> = {
  created: 'UNPAID',
  paid: 'READY_TO_SHIP',
  shipped: 'SHIPPED',
  delivered: 'TO_CONFIRM_RECEIVE',
  completed: 'COMPLETED',
  cancelled: 'CANCELLED',
};

const regionOf: Record<string, string> = { MYR: 'MY', SGD: 'SG', IDR: 'ID', VND: 'VN', THB: 'TH', PHP: 'PH', TWD: 'TW', BRL: 'BR', MXN: 'MX', COP: 'CO', CLP: 'CL' };

/** Options the detail API returns only when asked for in response_optional_fields. */
const optionalFields = new Set([
  'buyer_user_id', 'buyer_username', 'estimated_shipping_fee', 'recipient_address', 'actual_shipping_fee', 'goods_to_declare', 'note',
  'note_update_time', 'item_list', 'pay_time', 'dropshipper', 'dropshipper_phone', 'split_up', 'buyer_cancel_reason', 'cancel_by',
  'cancel_reason', 'actual_shipping_fee_confirmed', 'buyer_cpf_id', 'fulfillment_flag', 'pickup_done_time', 'package_list',
  'shipping_carrier', 'payment_method', 'total_amount', 'invoice_data', 'order_chargeable_weight_gram', 'return_request_due_date',
]);

const secs = (ms: number) => Math.floor(ms / 1000);
const numberFrom = (text: string) => Number.parseInt(createHash('sha256').update(text).digest('hex').slice(0, 10), 16);

export interface ShopeeSimulatorHooks extends PlatformSimulator, ShopeeLogisticsHooks {
  reservePromotionStock(code: string, quantity: number): void;
}

export const shopeeSimulator: SimulatorFactory = ({ apiBase, seed = 'shopee' }) => {
  const h = createHash('sha256').update(`shopee-sim:${seed}`).digest('hex');
  const partnerId = String(2_000_000 + (Number.parseInt(h.slice(0, 8), 16) % 900_000));
  const partnerKey = createHash('sha256').update(`partner-key:${seed}`).digest('hex');
  // The console's Live Push Partner Key: pushes are signed with it, not with the API key.
  const pushPartnerKey = createHash('sha256').update(`push-key:${seed}`).digest('hex');
  const shopId = String(100_000_000 + (Number.parseInt(h.slice(8, 16), 16) % 800_000_000));
  const accessToken = h.slice(16, 48);
  const orders = new Map<string, SimOrder>();
  const stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  let throttle = 0;
  let requests = 0;

  const baseStatus = (o: SimOrder) => o.rawStatus ?? phaseStatus[o.phase];
  const answer = (status: number, body: Record<string, unknown>): SimResponse => {
    const requestId = createHash('md5').update(`${seed}:${++requests}`).digest('hex');
    return { status, body: JSON.stringify({ request_id: requestId, error: '', message: '', ...body }) };
  };
  const failure = (status: number, error: string, message: string) => answer(status, { error, message });
  let writeFailure: { status: number; applied?: boolean; code?: string; message?: string } | null = null;
  const logistics = shopeeLogistics({
    orders,
    baseStatus,
    answer,
    failure,
    // Shopee's update_time is in seconds: a change lands in a later second than the last one.
    touch: (o) => {
      o.updatedAt = Math.max(Date.now(), o.updatedAt - (o.updatedAt % 1000) + 1000);
    },
    takeFailure: () => {
      const f = writeFailure;
      writeFailure = null;
      return f;
    },
  });
  const rawStatus = (o: SimOrder) => logistics.statusOf(o);
  // An order is paid once it left UNPAID, unless it was cancelled before (the simulator's cancelled orders never paid).
  const isPaid = (o: SimOrder) => o.phase !== 'created' && o.phase !== 'cancelled' && rawStatus(o) !== 'UNPAID';
  const money = (minor: number, currency: string) => minor / 10 ** currencyExponent(currency);

  // ---- the catalogue: every SKU code the shop's orders used, with its quantity on offer (seller stock) ----------

  /** A SKU code with a dash is a model (variation) of the item named by what comes before it; one without, an item. */
  const catalogue = new Map<number, { itemId: number; name: string; itemSku: string; hasModel: boolean; stock: number; reserved: number; models: Map<string, { modelId: number; sku: string; stock: number; reserved: number }> }>();
  const initialStock = 100;

  function addToCatalogue(o: SimOrder): void {
    for (const l of o.lines) {
      const { item_id: itemId, model_id: modelId } = lineIds(l.sku);
      const prefix = l.sku.split('-')[0] ?? l.sku;
      let item = catalogue.get(itemId);
      if (!item) {
        item = { itemId, name: l.title, itemSku: prefix, hasModel: l.sku.includes('-'), stock: initialStock, reserved: 0, models: new Map() };
        catalogue.set(itemId, item);
      }
      if (item.hasModel && !item.models.has(l.sku)) item.models.set(l.sku, { modelId, sku: l.sku, stock: initialStock, reserved: 0 });
    }
  }

  /** A catalogue entry by its code: a model's model_sku, or an item's item_sku. */
  function entryOf(code: string): { stock: number; reserved: number } {
    for (const item of catalogue.values()) {
      const m = item.models.get(code);
      if (m) return m;
      if (!item.hasModel && item.itemSku === code) return item;
    }
    throw new Error(`no SKU ${code} in the Shopee catalogue`);
  }

  const stockInfo = (e: { stock: number; reserved: number }) => ({
    summary_info: { total_reserved_stock: e.reserved, total_available_stock: e.stock },
    seller_stock: [{ stock: e.stock, if_saleable: true }],
  });

  /** v2.product.get_item_list: offset paging, page_size 1–100, item_status required. */
  function itemList(q: URLSearchParams): SimResponse {
    const offset = Number(q.get('offset') ?? '');
    const size = Number(q.get('page_size') ?? '');
    if (!Number.isInteger(offset) || offset < 0) return failure(400, 'error_param', 'Wrong parameters, detail: offset is invalid.');
    if (!Number.isInteger(size) || size < 1 || size > 100) return failure(400, 'error_param', 'Wrong parameters, detail: page_size should be between 1 and 100.');
    if (!q.get('item_status')) return failure(400, 'error_param', 'Wrong parameters, detail: item_status is required.');
    const wanted = new Set((q.get('item_status') ?? '').split(','));
    const items = wanted.has('NORMAL') ? [...catalogue.values()] : [];
    const slice = items.slice(offset, offset + size);
    const more = offset + size < items.length;
    return answer(200, { response: { item: slice.map((i) => ({ item_id: i.itemId, item_status: 'NORMAL', update_time: secs(Date.now()) })), total_count: items.length, has_next_page: more, next_offset: more ? offset + size : 0 } });
  }

  /** v2.product.get_item_base_info: up to 50 items. */
  function itemBaseInfo(q: URLSearchParams): SimResponse {
    const ids = (q.get('item_id_list') ?? '').split(',').filter(Boolean).map(Number);
    if (ids.length < 1 || ids.length > 50 || !ids.every(Number.isSafeInteger)) return failure(400, 'error_param', 'Wrong parameters, detail: item_id_list should contain 1 to 50 item_id.');
    const found = ids.map((id) => catalogue.get(id)).filter((i): i is NonNullable<typeof i> => Boolean(i));
    if (found.length === 0) return failure(400, 'error_item_not_found', 'Item not found.');
    return answer(200, {
      response: {
        item_list: found.map((i) => ({ item_id: i.itemId, item_status: 'NORMAL', item_name: i.name, item_sku: i.itemSku, has_model: i.hasModel, ...(i.hasModel ? {} : { stock_info_v2: stockInfo(i) }) })),
      },
    });
  }

  /** v2.product.get_model_list: one item's models, each with model_sku and stock_info_v2. */
  function modelList(q: URLSearchParams): SimResponse {
    const item = catalogue.get(Number(q.get('item_id') ?? ''));
    if (!item) return failure(400, 'error_item_not_found', 'Item not found.');
    const models = [...item.models.values()];
    return answer(200, {
      response: {
        tier_variation: [{ name: 'Variation', option_list: models.map((m) => ({ option: m.sku.slice(item.itemSku.length + 1) || m.sku })) }],
        model: models.map((m, i) => ({ model_id: m.modelId, model_sku: m.sku, model_status: 'MODEL_NORMAL', tier_index: [i], stock_info_v2: stockInfo(m) })),
      },
    });
  }

  /** v2.product.update_stock: the seller stock per model (model_id 0: an item without models); never below promotion stock. */
  function updateStock(body: Buffer): SimResponse {
    let b: unknown;
    try {
      b = JSON.parse(body.toString('utf8'));
    } catch {
      return failure(400, 'error_param', 'The request body is not a valid json format');
    }
    const x = b as { item_id?: unknown; stock_list?: unknown } | null;
    const item = typeof x?.item_id === 'number' ? catalogue.get(x.item_id) : undefined;
    if (!item) return failure(400, 'error_item_not_found', 'Item not found.');
    if (!Array.isArray(x?.stock_list) || x.stock_list.length < 1 || x.stock_list.length > 50) return failure(400, 'error_param', 'Wrong parameters, detail: stock_list should contain 1 to 50 entries.');
    const success: Record<string, unknown>[] = [];
    const failed: Record<string, unknown>[] = [];
    for (const e of x.stock_list as { model_id?: unknown; seller_stock?: unknown }[]) {
      const modelId = typeof e?.model_id === 'number' ? e.model_id : -1;
      const target = modelId === 0 && !item.hasModel ? item : [...item.models.values()].find((m) => m.modelId === modelId);
      const rows = Array.isArray(e?.seller_stock) ? (e.seller_stock as { stock?: unknown }[]) : [];
      const stock = rows.length === 1 && typeof rows[0]?.stock === 'number' && Number.isSafeInteger(rows[0].stock) ? rows[0].stock : -1;
      if (!target) failed.push({ model_id: modelId, failed_reason: 'Model not found.' });
      else if (stock < 0) return failure(400, 'error_param', 'Wrong parameters, detail: seller_stock.stock should be a non-negative integer.');
      else if (stock < target.reserved) failed.push({ model_id: modelId, failed_reason: `Stock ${stock} is less than the reserved stock of an ongoing promotion (${target.reserved}).` });
      else {
        target.stock = stock;
        success.push({ model_id: modelId, stock });
      }
    }
    return answer(200, { response: { success_list: success, failure_list: failed } });
  }

  function lineIds(sku: string) {
    return { item_id: 20_000_000_000 + (numberFrom(`item:${sku.split('-')[0]}`) % 9_000_000_000), model_id: 100_000_000_000 + (numberFrom(`model:${sku}`) % 90_000_000_000) };
  }

  function detailOf(o: SimOrder): Record<string, unknown> {
    const c = o.currency;
    const region = regionOf[c] ?? 'SG';
    const paid = isPaid(o);
    const status = rawStatus(o);
    const goods = o.lines.reduce((a, l) => a + l.quantity * l.unitPrice, 0);
    const lineDiscounts = o.lines.reduce((a, l) => a + l.discount, 0);
    const total = goods - lineDiscounts + o.shippingFee - o.discountPlatform - o.discountSeller;
    // Taiwan's integrated channels hide the receiver completely.
    const hide = region === 'TW';
    const r = o.receiver;
    return {
      order_sn: o.id,
      region,
      currency: c,
      cod: false,
      order_status: status,
      message_to_seller: '',
      create_time: secs(o.createdAt),
      update_time: secs(o.updatedAt),
      days_to_ship: 2,
      ship_by_date: secs(o.createdAt) + 3 * 86_400,
      booking_sn: '',
      buyer_user_id: 1_000_000_000 + (numberFrom(`buyer:${o.buyer.id}`) % 900_000_000),
      buyer_username: o.buyer.name,
      estimated_shipping_fee: money(o.shippingFee, c),
      actual_shipping_fee: 0,
      actual_shipping_fee_confirmed: false,
      goods_to_declare: false,
      note: '',
      note_update_time: 0,
      recipient_address: hide
        ? { name: '****', phone: '****', town: '****', district: '****', city: '****', state: '****', region, zipcode: '****', full_address: '****' }
        : {
            name: r.name,
            phone: r.phone,
            town: '',
            district: r.district,
            city: r.city,
            state: r.province,
            region,
            zipcode: String(10_000 + (numberFrom(r.address) % 89_999)),
            full_address: [r.address, r.district, r.city, r.province].filter(Boolean).join(', '),
          },
      item_list: o.lines.map((l) => ({
        ...lineIds(l.sku),
        item_name: l.title,
        item_sku: l.sku.split('-')[0],
        model_name: 'Default',
        model_sku: l.sku,
        model_quantity_purchased: l.quantity,
        model_original_price: money(l.unitPrice, c),
        // Per unit after the item promotion.
        model_discounted_price: money(Math.floor((l.unitPrice * l.quantity - l.discount) / l.quantity), c),
        wholesale: false,
        weight: 0.3,
        add_on_deal: false,
        main_item: false,
        add_on_deal_id: 0,
        promotion_type: l.discount ? 'product_promotion' : '',
        promotion_id: 0,
        order_item_id: lineIds(l.sku).item_id,
        promotion_group_id: 0,
        image_info: { image_url: `https://cf.shopee.sg/file/sim-${lineIds(l.sku).item_id}_tn` },
      })),
      pay_time: paid ? Math.min(secs(o.createdAt) + 60, secs(o.updatedAt)) : null,
      dropshipper: null,
      dropshipper_phone: null,
      split_up: false,
      buyer_cancel_reason: '',
      cancel_by: status === 'CANCELLED' ? 'buyer' : '',
      cancel_reason: status === 'CANCELLED' ? 'Change of mind' : '',
      buyer_cpf_id: null,
      fulfillment_flag: 'fulfilled_by_local_seller',
      pickup_done_time: 0,
      package_list: logistics.packageList(o),
      shipping_carrier: 'Standard Delivery',
      payment_method: paid ? 'ShopeePay' : '',
      ...(paid ? { total_amount: money(total, c) } : {}),
      invoice_data: null,
    };
  }

  function escrowOf(o: SimOrder): Record<string, unknown> {
    const c = o.currency;
    const m = (v: number) => money(v, c);
    const goods = o.lines.reduce((a, l) => a + l.quantity * l.unitPrice, 0);
    const lineDiscounts = o.lines.reduce((a, l) => a + l.discount, 0);
    const total = goods - lineDiscounts + o.shippingFee - o.discountPlatform - o.discountSeller;
    // Part of what Shopee gives is paid in coins, the rest as a Shopee voucher.
    const coins = Math.floor(o.discountPlatform / 4);
    const voucherShopee = o.discountPlatform - coins;
    const sold = goods - lineDiscounts;
    const commission = Math.floor((sold * 5) / 100);
    const service = Math.floor((sold * 3) / 100);
    const transaction = Math.floor((total * 2) / 100);
    return {
      order_sn: o.id,
      buyer_user_name: o.buyer.name,
      return_order_sn_list: [],
      buyer_payment_info: {
        buyer_payment_method: 'ShopeePay',
        buyer_service_fee: 0,
        buyer_tax_amount: 0,
        buyer_total_amount: m(total),
        credit_card_promotion: 0,
        icms_tax_amount: 0,
        import_tax_amount: 0,
        initial_buyer_txn_fee: 0,
        insurance_premium: 0,
        iof_tax_amount: 0,
        is_paid_by_credit_card: false,
        merchant_subtotal: m(sold),
        seller_voucher: m(-o.discountSeller),
        shipping_fee: m(o.shippingFee),
        shipping_fee_sst_amount: 0,
        shopee_coins_redeemed: m(-coins),
        shopee_voucher: m(-voucherShopee),
      },
      order_income: {
        escrow_amount: m(sold - o.discountSeller - commission - service - transaction),
        buyer_total_amount: m(total),
        order_original_price: m(goods),
        original_price: m(goods),
        order_discounted_price: m(sold),
        order_selling_price: m(goods),
        order_seller_discount: m(lineDiscounts),
        seller_discount: m(lineDiscounts),
        shopee_discount: 0,
        voucher_from_seller: m(o.discountSeller),
        voucher_from_shopee: m(voucherShopee),
        coins: m(coins),
        buyer_paid_shipping_fee: m(o.shippingFee),
        buyer_transaction_fee: 0,
        cross_border_tax: 0,
        payment_promotion: 0,
        commission_fee: m(commission),
        service_fee: m(service),
        seller_transaction_fee: m(transaction),
        seller_lost_compensation: 0,
        seller_coin_cash_back: 0,
        escrow_tax: 0,
        estimated_shipping_fee: m(o.shippingFee),
        final_shipping_fee: 0,
        actual_shipping_fee: m(o.shippingFee),
        shopee_shipping_rebate: 0,
        shipping_fee_discount_from_3pl: 0,
        seller_shipping_discount: 0,
        seller_voucher_code: o.discountSeller ? ['SHOPSAVE'] : [],
        drc_adjustable_refund: 0,
        cost_of_goods_sold: m(sold),
        original_cost_of_goods_sold: m(sold),
        original_shopee_discount: 0,
        seller_return_refund: 0,
        buyer_payment_method: 'ShopeePay',
        instalment_plan: 'N/A',
        items: o.lines.map((l) => ({
          ...lineIds(l.sku),
          item_name: l.title,
          item_sku: l.sku.split('-')[0],
          model_name: 'Default',
          model_sku: l.sku,
          // Line subtotals, not unit prices.
          original_price: m(l.unitPrice * l.quantity),
          selling_price: m(l.unitPrice * l.quantity),
          discounted_price: m(l.unitPrice * l.quantity - l.discount),
          seller_discount: m(l.discount),
          shopee_discount: 0,
          discount_from_coin: 0,
          discount_from_voucher_shopee: 0,
          discount_from_voucher_seller: 0,
          activity_type: '',
          activity_id: 0,
          is_main_item: false,
          quantity_purchased: l.quantity,
          is_b2c_shop_item: false,
          ams_commission_fee: 0,
          promotion_list: l.discount ? [{ promotion_type: 'seller_discount', promotion_id: 848_474_823 }] : [],
        })),
      },
    };
  }

  /** Shopee's gateway: common parameters, timestamp window, sign, then token and shop. */
  function gate(req: SimRequest): SimResponse | null {
    const q = req.query;
    const p = (n: string) => q.get(n);
    if (!p('partner_id')) return failure(400, 'error_param', 'There is no partner_id in query.');
    if (!/^\d{1,10}$/.test(p('partner_id') ?? '')) return failure(400, 'error_param', 'Partner_id is invalid, should be an integer between 0 and 4294967295.');
    if (p('partner_id') !== partnerId) return failure(403, 'error_auth', 'partner_id is invalid');
    const ts = p('timestamp');
    if (!ts) return failure(400, 'error_param', 'no timestamp');
    if (!/^\d{1,10}$/.test(ts)) return failure(400, 'error_param', 'Timestamp is invalid, should be an integer between 0 and 4294967295.');
    if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return failure(400, 'error_param', 'Timestamp is expired.');
    const sign = p('sign');
    if (!sign) return failure(400, 'error_param', 'There is no sign in query.');
    const token = p('access_token');
    if (!token) return failure(400, 'error_param', 'There is no access_token in query.');
    const shop = p('shop_id');
    if (!shop) return failure(400, 'error_param', 'There is no shop_id in query.');
    const expected = createHmac('sha256', partnerKey).update(partnerId + req.path + ts + token + shop).digest();
    const given = /^[0-9a-f]{64}$/.test(sign) ? Buffer.from(sign, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      stats.refusedSignature++;
      return failure(403, 'error_sign', 'Wrong sign.');
    }
    if (token !== accessToken) return failure(403, 'error_auth', 'Invalid access_token.');
    if (shop !== shopId) return failure(403, 'error_auth', 'Invalid partner_id or shopid.');
    return null;
  }

  function orderList(q: URLSearchParams): SimResponse {
    const field = q.get('time_range_field');
    if (field !== 'create_time' && field !== 'update_time') return failure(400, 'error_param', 'Wrong parameters, detail: time_range_field is invalid.');
    const from = q.get('time_from') ?? '';
    const to = q.get('time_to') ?? '';
    if (!/^\d{1,10}$/.test(from) || !/^\d{1,10}$/.test(to)) return failure(400, 'error_param', 'Wrong parameters, detail: time_from and time_to are required.');
    if (Number(from) > Number(to) || Number(to) - Number(from) > 15 * 86_400) {
      return failure(400, 'order.order_list_invalid_time', 'Start time must be earlier than end time and diff in 15days.');
    }
    const size = Number(q.get('page_size') ?? '');
    if (!Number.isInteger(size) || size < 1 || size > 100) return failure(400, 'error_param', 'Wrong parameters, detail: page_size should be between 1 and 100.');
    const cursor = q.get('cursor') ?? '';
    if (cursor !== '' && !/^\d+$/.test(cursor)) return failure(400, 'error_param', 'Wrong parameters, detail: cursor is invalid.');
    const status = q.get('order_status');
    const withStatus = (q.get('response_optional_fields') ?? '').split(',').includes('order_status');
    const at = (o: SimOrder) => secs(field === 'update_time' ? o.updatedAt : o.createdAt);
    const matched = [...orders.values()]
      .filter((o) => at(o) >= Number(from) && at(o) <= Number(to) && (!status || rawStatus(o) === status))
      .sort((a, b) => at(b) - at(a) || (a.id < b.id ? -1 : 1));
    const offset = Number(cursor || '0');
    const slice = matched.slice(offset, offset + size);
    const more = offset + size < matched.length;
    return answer(200, {
      response: {
        more,
        next_cursor: more ? String(offset + size) : '',
        order_list: slice.map((o) => (withStatus ? { order_sn: o.id, order_status: rawStatus(o) } : { order_sn: o.id })),
      },
    });
  }

  function orderDetail(q: URLSearchParams): SimResponse {
    const sns = (q.get('order_sn_list') ?? '').split(',').filter(Boolean);
    if (sns.length < 1 || sns.length > 50) return failure(400, 'error_param', 'Wrong parameters, detail: order_sn_list should contain 1 to 50 order_sn.');
    const wanted = new Set((q.get('response_optional_fields') ?? '').split(',').map((s) => s.trim()));
    const found = sns.map((sn) => orders.get(sn)).filter((o): o is SimOrder => Boolean(o));
    if (found.length === 0) return failure(400, 'error_not_found', 'Wrong parameters, detail: the order is not found.');
    const orderList = found.map((o) => Object.fromEntries(Object.entries(detailOf(o)).filter(([k]) => !optionalFields.has(k) || wanted.has(k))));
    return answer(200, { response: { order_list: orderList }, warning: [] });
  }

  function escrowEntry(sn: string) {
    const o = orders.get(sn);
    if (!o || !isPaid(o)) {
      return { escrow_detail: { order_sn: sn, return_order_sn_list: [] }, fail_error: 'order_not_found', fail_message: 'The order info not found.' };
    }
    return { escrow_detail: escrowOf(o) };
  }

  function escrowBatch(body: Buffer): SimResponse {
    let b: unknown;
    try {
      b = JSON.parse(body.toString('utf8'));
    } catch {
      return failure(400, 'error_param', 'The request body is not a valid json format');
    }
    const list = (b as { order_sn_list?: unknown } | null)?.order_sn_list;
    if (!Array.isArray(list) || list.length < 1 || list.length > 50 || !list.every((s) => typeof s === 'string')) {
      return failure(400, 'error_param', 'Wrong parameters, detail: order_sn_list should contain 1 to 50 order_sn.');
    }
    return answer(200, { response: (list as string[]).map(escrowEntry) });
  }

  function escrowSingle(q: URLSearchParams): SimResponse {
    const sn = q.get('order_sn');
    if (!sn) return failure(400, 'error_param', 'Missing order_sn. Please include a valid order_sn to get escrow details.');
    const o = orders.get(sn);
    if (!o || !isPaid(o)) return failure(400, 'order_not_found', 'Order SN provided is invalid or does not belong to you. Please enter a valid Order SN.');
    return answer(200, { response: escrowOf(o) });
  }

  const sim: PlatformSimulator = {
    platform: 'shopee',
    credentials: { partnerId, partnerKey, shopId, accessToken, pushPartnerKey, apiBase },
    stats,

    record(order, hookUrl) {
      orders.set(order.id, structuredClone(order));
      addToCatalogue(order);
      const body = JSON.stringify({
        data: { items: [], ordersn: order.id, status: rawStatus(order), completed_scenario: '', update_time: secs(order.updatedAt) },
        shop_id: Number(shopId),
        code: 3,
        timestamp: secs(Date.now()),
      });
      const authorization = createHmac('sha256', pushPartnerKey).update(`${hookUrl}|${body}`).digest('hex');
      const push: SimPush = { headers: { 'content-type': 'application/json', authorization }, body };
      return [push];
    },

    handle(req) {
      stats.calls++;
      logistics.tick();
      if (throttle > 0) {
        throttle--;
        stats.throttled++;
        return failure(429, 'error_rate_limit', 'Too many requests. You have reached the rate limit. Please try again later.');
      }
      const route = `${req.method.toUpperCase()} ${req.path}`;
      if (route === 'GET /api/v2/product/get_item_list') return gate(req) ?? itemList(req.query);
      if (route === 'GET /api/v2/product/get_item_base_info') return gate(req) ?? itemBaseInfo(req.query);
      if (route === 'GET /api/v2/product/get_model_list') return gate(req) ?? modelList(req.query);
      if (route === 'POST /api/v2/product/update_stock') return gate(req) ?? updateStock(req.body);
      if (route.includes(' /api/v2/logistics/')) {
        const refused = gate(req);
        if (refused) return refused;
        const r = logistics.handle(route, req);
        if (r) return r;
      }
      const known = ['GET /api/v2/order/get_order_list', 'GET /api/v2/order/get_order_detail', 'POST /api/v2/payment/get_escrow_detail_batch', 'GET /api/v2/payment/get_escrow_detail'];
      if (!known.includes(route)) return failure(404, 'error_param', 'Permission denied. This API is currently offline or the request path is incorrect.');
      const refused = gate(req);
      if (refused) return refused;
      if (route.endsWith('get_order_list')) return orderList(req.query);
      if (route.endsWith('get_order_detail')) return orderDetail(req.query);
      if (route.endsWith('get_escrow_detail_batch')) return escrowBatch(req.body);
      return escrowSingle(req.query);
    },

    throttleNext(n) {
      throttle += n;
    },

    failNextWrite(f) {
      writeFailure = f;
    },

    shipmentsOf(platformOrderId) {
      return logistics.numbersOf(platformOrderId);
    },

    catalogueOf() {
      return [...catalogue.values()].flatMap((i) =>
        i.hasModel ? [...i.models.values()].map((m) => ({ code: m.sku, itemId: String(i.itemId), skuId: String(m.modelId), quantity: m.stock })) : [{ code: i.itemSku, itemId: String(i.itemId), skuId: '', quantity: i.stock }],
      );
    },

    setCatalogueQuantity(code, quantity) {
      entryOf(code).stock = quantity;
    },
  };
  // A promotion holding stock (Shopee refuses a seller stock below it): a test's hook, outside the common interface.
  (sim as ShopeeSimulatorHooks).reservePromotionStock = (code, quantity) => {
    entryOf(code).reserved = quantity;
  };
  Object.assign(sim, logistics.hooks);
  return sim;
};
