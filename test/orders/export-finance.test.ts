// The order export as finance opens it: headers and states in Chinese or English, amounts in yuan, the shop's local
// time, shop names, one row per line with the parcel's carrier and tracking number, BOM, the shop-dated file name,
// masking kept, a large export streamed in pages, and bad parameters refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';
import { shippedShipment } from '../fulfilment/tracking-support.ts';
import { label, knownCodes, langs, pickLang } from '../../src/kernel/catalogue.ts';
import { minorToDecimal } from '../../src/kernel/money.ts';
import { formatInZone } from '../../src/kernel/time.ts';
import { systemPrincipal } from '../../src/kernel/principal.ts';
import { adapterFor } from '../../src/modules/channels/connectors/registry.ts';

/** RFC 4180 CSV, read independently of the writer: quoted fields, doubled quotes, CRLF or LF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) rows.push([...row, field]);
  return rows;
}

/** The CSV as records keyed by header, with the raw text (for the BOM). */
async function exported(s: TestServer, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}/api/orders/export${query}`, { headers: { authorization: `Bearer ${s.token}`, ...headers } });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  const status = res.status;
  if (status !== 200) return { status, res, bytes, text, header: [] as string[], records: [] as Record<string, string>[] };
  const [header = [], ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  return { status, res, bytes, text, header, records: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}

describe('the server catalogue', () => {
  it('names every code in both languages and falls back to the code itself', () => {
    for (const kind of ['orderStatus', 'paymentStatus', 'fulfilmentStatus', 'reservation', 'hold', 'channel', 'carrier', 'shipmentState'] as const) {
      expect(knownCodes('zh', kind).sort(), kind).toEqual(knownCodes('en', kind).sort());
    }
    expect(label('zh', 'orderStatus', 'paid')).toBe('已付款');
    expect(label('en', 'hold', 'SKU_UNMATCHED')).toBe('SKU not matched');
    expect(label('zh', 'carrier', 'shunfeng')).toBe('顺丰速运');
    expect(label('zh', 'carrier', 'acme-post')).toBe('acme-post');
    expect(label('zh', 'hold', '')).toBe('');
    expect(langs).toEqual(['zh', 'en']);
  });

  it('picks the language asked for, else Accept-Language by weight, else Chinese', () => {
    expect(pickLang('en', 'zh-CN')).toBe('en');
    expect(pickLang(undefined, 'en-US,en;q=0.9')).toBe('en');
    expect(pickLang(undefined, 'fr;q=1, en;q=0.5, zh;q=0.8')).toBe('zh');
    expect(pickLang(undefined, 'de')).toBe('zh');
    expect(pickLang(undefined, undefined)).toBe('zh');
  });

  it('writes minor units as decimals without floats and times on the zone’s wall clock', () => {
    expect(minorToDecimal(9980, 'CNY')).toBe('99.80');
    expect(minorToDecimal(5, 'CNY')).toBe('0.05');
    expect(minorToDecimal(-120, 'CNY')).toBe('-1.20');
    expect(minorToDecimal(500, 'JPY')).toBe('500');
    expect(minorToDecimal(1234, 'KWD')).toBe('1.234');
    expect(minorToDecimal(9007199254740991, 'CNY')).toBe('90071992547409.91');
    expect(formatInZone(Date.parse('2026-11-22T02:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-22 10:00:00');
    expect(formatInZone(Date.parse('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('2026-07-01 08:00:00');
  });
});

describe.each(httpBackends)('finance export on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };
  let shipped: { orderId: string; orderNo: string; trackingNo: string };
  let plainNo = '';

  beforeAll(async () => {
    s = await startServer(backend);
    const r = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'ownshop', name: '杭州旗舰店', credentials: { secret: 'finance-shop-0123456789' } });
    expect(r.status).toBe(201);
    shop = { id: r.body.id, secret: 'finance-shop-0123456789' };
    await setStock(s, 'CUP', 10);
    await setStock(s, 'LID', 10);
    // An unpaid order of two lines, placed 2026-11-22 10:00 Beijing time (02:00 UTC), 99.80 in all.
    const placed = await s.push(
      shop.id,
      shop.secret,
      orderBody({
        createdAt: '2026-11-22T02:00:00Z',
        updatedAt: '2026-11-22T02:00:00Z',
        receiver: { name: '欧阳娜娜', phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 100 号' },
        lines: [
          { sku: 'CUP', title: '保温杯', quantity: 2, unitPrice: 3990, discount: 0 },
          { sku: 'LID', title: '杯盖', quantity: 1, unitPrice: 2500, discount: 500 },
        ],
        shippingFee: 0,
      }),
    );
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    plainNo = placed.body.orders?.[0]?.orderNo as string;
    const trackingNo = 'SF1234567890';
    const sh = await shippedShipment(s, shop, 'shunfeng', trackingNo);
    const detail = await s.api<{ orderNo: string }>('GET', `/api/orders/${sh.orderId}`);
    shipped = { orderId: sh.orderId, orderNo: detail.body.orderNo, trackingNo };
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it('writes Chinese headers, yuan amounts, Beijing time, the shop name and translated states, with a BOM', async () => {
    const e = await exported(s, '?lang=zh');
    expect(e.status).toBe(200);
    expect([...e.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(e.res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(e.header.slice(0, 5)).toEqual(['订单号', '平台订单号', '店铺', '渠道', '订单状态']);
    expect(e.header).toContain('店铺ID');
    const row = e.records.find((r) => r['订单号'] === plainNo) as Record<string, string>;
    expect(row).toBeDefined();
    expect(row['店铺']).toBe('杭州旗舰店');
    expect(row['店铺ID']).toBe(shop.id);
    expect(row['渠道']).toBe('自有商城');
    expect(row['订单状态']).toBe('待付款');
    expect(row['币种']).toBe('CNY');
    expect(row['商品金额']).toBe('104.80');
    expect(row['订单金额']).toBe('99.80');
    expect(row['实付金额']).toBe('0.00');
    expect(row['下单时间']).toBe('2026-11-22 10:00:00');
    expect(row['付款时间']).toBe('');
    // Masked unless revealed.
    expect(row['收件人电话']).toMatch(/^138\*+5678$/);
    expect(row['收件人']).not.toBe('欧阳娜娜');
    expect(row['详细地址']).not.toContain('文三路 100 号');
    expect(Number(e.res.headers.get('x-total-count'))).toBe(e.records.length);
    expect(e.records).toHaveLength(2);
  });

  it('writes English headers from Accept-Language and from lang=en', async () => {
    const byHeader = await exported(s, '', { 'accept-language': 'en-GB,en;q=0.9' });
    const byParam = await exported(s, '?lang=en', { 'accept-language': 'zh-CN' });
    for (const e of [byHeader, byParam]) {
      expect(e.header.slice(0, 5)).toEqual(['Order no.', 'Platform order id', 'Shop', 'Channel', 'Order status']);
      const row = e.records.find((r) => r['Order no.'] === plainNo) as Record<string, string>;
      expect(row['Order status']).toBe('Awaiting payment');
      expect(row['Order total']).toBe('99.80');
      expect(e.res.headers.get('content-language')).toBe('en');
    }
    const fallback = await exported(s, '', { 'accept-language': 'de-DE' });
    expect(fallback.header[0]).toBe('订单号');
  });

  it('writes one row per line with SKU, quantity, prices and the carrier and tracking number of the parcel', async () => {
    const e = await exported(s, '?layout=lines&lang=zh');
    expect(e.status).toBe(200);
    expect(Number(e.res.headers.get('x-total-count'))).toBe(e.records.length);
    expect(e.records).toHaveLength(3);
    const plain = e.records.filter((r) => r['订单号'] === plainNo);
    expect(plain.map((r) => [r['行号'], r['SKU'], r['平台商品编码'], r['商品名称'], r['数量'], r['单价'], r['行优惠'], r['行金额'], r['快递公司'], r['快递单号']])).toEqual([
      ['1', 'CUP', 'CUP', '保温杯', '2', '39.90', '0.00', '79.80', '', ''],
      ['2', 'LID', 'LID', '杯盖', '1', '25.00', '5.00', '20.00', '', ''],
    ]);
    const sent = e.records.filter((r) => r['订单号'] === shipped.orderNo);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ 快递公司: '顺丰速运', 快递单号: shipped.trackingNo, 订单状态: '已发货', 店铺: '杭州旗舰店', 数量: '1', 单价: '10.00' });
    // The order layout carries the parcel too.
    const orders = await exported(s, '?lang=zh');
    expect(orders.records.find((r) => r['订单号'] === shipped.orderNo)).toMatchObject({ 快递公司: '顺丰速运', 快递单号: shipped.trackingNo, 发货状态: '已发货' });
  });

  it('names the file by the shop’s date with an RFC 5987 filename*', async () => {
    const before = formatInZone(Date.now(), 'Asia/Shanghai');
    const e = await exported(s, '?layout=lines');
    const after = formatInZone(Date.now(), 'Asia/Shanghai');
    const cd = e.res.headers.get('content-disposition') ?? '';
    const m = /^attachment; filename="(order-lines-(\d{8}-\d{4})\.csv)"; filename\*=UTF-8''(\S+)$/.exec(cd);
    expect(m, cd).not.toBeNull();
    const stamps = [before, after].map((t) => t.replaceAll('-', '').replace(' ', '-').replace(':', '').slice(0, 13));
    expect(stamps).toContain(m?.[2]);
    expect(decodeURIComponent(m?.[3] ?? '')).toBe(m?.[1]);
    const orders = await exported(s, '');
    expect(orders.res.headers.get('content-disposition')).toMatch(/filename="orders-\d{8}-\d{4}\.csv"/);
  });

  it('reveals personal data only with reveal=true, and audits the export with its layout and language', async () => {
    const e = await exported(s, '?reveal=true&lang=zh');
    const row = e.records.find((r) => r['订单号'] === plainNo) as Record<string, string>;
    expect(row['收件人电话']).toBe('13812345678');
    expect(row['详细地址']).toBe('文三路 100 号');
    const audit = await s.api<{ items: { action: string; detail: { layout: string; lang: string; rows: number } }[] }>('GET', '/api/audit?action=pii.export');
    expect(audit.body.items[0]?.detail).toMatchObject({ layout: 'orders', lang: 'zh', rows: 2 });
  });

  it('writes an XLSX with translated headers and amounts as numbers with two decimals', async () => {
    const res = await fetch(`${s.url}/api/orders/export?format=xlsx&layout=lines&lang=zh`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/filename="order-lines-\d{8}-\d{4}\.xlsx"/);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await res.arrayBuffer()) as unknown as Parameters<typeof book.xlsx.load>[0]);
    const sheet = book.getWorksheet('订单');
    const header = (sheet?.getRow(1).values as unknown[]).slice(1);
    const price = header.indexOf('单价') + 1;
    const sku = header.indexOf('SKU') + 1;
    const rows = Array.from({ length: (sheet?.rowCount ?? 1) - 1 }, (_, i) => sheet?.getRow(i + 2));
    const cup = rows.find((r) => r?.getCell(sku).value === 'CUP');
    expect(cup?.getCell(price).value).toBe(39.9);
    expect(cup?.getCell(price).numFmt).toBe('0.00');
  });

  it('keeps the scope and the masking in the line layout', async () => {
    const other = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'ownshop', name: '宁波店', credentials: { secret: 'other-shop-0123456789' } });
    const u = await s.api<{ id: string }>('POST', '/api/users', { username: 'fin-other-shop', password: 'correct horse battery', roles: ['finance'], scope: { accounts: [other.body.id] } });
    expect(u.status).toBe(201);
    const token = (await s.api<{ token: string }>('POST', '/api/tokens', { name: 'fin-other-shop', userId: u.body.id })).body.token;
    const res = await fetch(`${s.url}/api/orders/export?layout=lines&lang=zh`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-total-count')).toBe('0');
    const text = await res.text();
    expect(parseCsv(text.replace(/^\uFEFF/, ''))).toHaveLength(1);
    const lines = await exported(s, '?layout=lines&lang=zh');
    for (const r of lines.records.filter((x) => x['订单号'] === plainNo)) {
      expect(r['收件人电话']).toMatch(/^138\*+5678$/);
      expect(r['详细地址']).not.toContain('文三路 100 号');
    }
  });

  it('refuses bad parameters with 400 before anything is audited', async () => {
    const before = (await s.api<{ items: unknown[] }>('GET', '/api/audit?action=orders.export&limit=500')).body.items.length;
    for (const q of ['?layout=rows', '?lang=fr', '?format=pdf', '?layout=', '?lang=ZH']) {
      const e = await exported(s, q);
      expect(e.status, q).toBe(400);
      expect(JSON.parse(e.text).error.code, q).toBe('VALIDATION_FAILED');
    }
    const after = (await s.api<{ items: unknown[] }>('GET', '/api/audit?action=orders.export&limit=500')).body.items.length;
    expect(after).toBe(before);
  });
});

describe('a 10,000-order export', () => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startServer(httpBackends[0] as (typeof httpBackends)[number]);
    const r = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'ownshop', name: '大促店', credentials: { secret: 'bulk-shop-0123456789' } });
    expect(r.status).toBe(201);
    const account = await s.hub.accounts.get(r.body.id);
    const adapter = adapterFor('ownshop');
    // Stored the way a push is (parsed by the shop's adapter, ingested by the write path), without 10,000 HTTP round trips.
    for (let start = 0; start < 10_000; start += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => {
          const n = start + i;
          const raw = Buffer.from(JSON.stringify(orderBody({ orderId: `BULK${String(n).padStart(5, '0')}`, lines: [{ sku: 'BULK', title: '大促品', quantity: 1, unitPrice: 9980, discount: 0 }] })));
          return s.hub.writes.ingest({
            tenantId: account?.tenantId as string,
            accountId: r.body.id,
            channel: 'ownshop',
            eventId: `bulk-${n}`,
            receivedAt: Date.now(),
            headers: {},
            rawBody: raw,
            orders: adapter?.parsePush?.(raw, {} as never) ?? [],
            via: 'push',
          });
        }),
      );
    }
  }, 600_000);
  afterAll(async () => {
    await s?.close();
  });

  it('streams every order once, newest first, read in pages of 1,000', { timeout: 300_000 }, async () => {
    const res = await fetch(`${s.url}/api/orders/export?lang=zh`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-total-count')).toBe('10000');
    // Read as the console does: chunk by chunk from the body's reader.
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    expect(chunks.length).toBeGreaterThan(1);
    const text = new TextDecoder().decode(Buffer.concat(chunks));
    const [header = [], ...rows] = parseCsv(text);
    expect(header[0]).toBe('订单号');
    expect(rows).toHaveLength(10_000);
    const platformIds = rows.map((r) => r[1] as string);
    expect(new Set(platformIds).size).toBe(10_000);
    const total = header.indexOf('订单金额');
    expect(rows.every((r) => r[total] === '99.80' && r[2] === '大促店')).toBe(true);

    const pages: string[][] = [];
    for await (const page of s.hub.orders.exportPages(systemPrincipal('default'), {}, { reveal: false }, 1000)) pages.push(page.map((o) => o.orderNo));
    expect(pages.map((p) => p.length)).toEqual(Array.from({ length: 10 }, () => 1000));
    const all = pages.flat();
    expect(new Set(all).size).toBe(10_000);
    expect(all).toEqual(rows.map((r) => r[0]));
  });
});
