// Orders: search, the 360° detail, operator transitions.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { orderStatuses } from '../domain/machine.ts';
import { who } from '../../../app/http/auth.ts';
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify';
import { orderSorts } from '../queries/order-filter.ts';
import { contentDisposition, exportColumns, exportFileName, exportLayouts, sheetRows, type ExportColumn, type SheetRow } from '../queries/export-sheet.ts';
import { langs, pickLang, type Lang } from '../../../kernel/catalogue.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { Instant, OrderDetail, OrderSummary, PaymentTimeline, PendingApproval } from '../../../app/http/schemas.ts';
import { instantAt } from '../../../app/http/edge.ts';
import { answerMaybePending } from '../../access/http/approvals.ts';

const instant = (name: string, v: string | undefined) => instantAt(`querystring/${name}`, v);

const filterQuery = {
  channel: Type.Optional(Type.String()),
  account: Type.Optional(Type.String()),
  platformOrderId: Type.Optional(Type.String()),
  status: Type.Optional(Type.Union(orderStatuses.map((s) => Type.Literal(s)))),
  hold: Type.Optional(Type.String({ description: 'a hold code (STOCK_SHORT, SKU_UNMATCHED, PAID_NO_STOCK) or "any"' })),
  q: Type.Optional(Type.String({ maxLength: 100, description: 'order number, platform order id, full phone, or receiver name prefix' })),
  createdFrom: Type.Optional(Instant('orders created at or after')),
  createdTo: Type.Optional(Instant('orders created before')),
};

/** The export as an XLSX workbook, written row by row into the response (exceljs' streaming writer). */
function xlsxStream(rows: AsyncIterable<SheetRow>, columns: readonly ExportColumn[], lang: Lang): PassThrough {
  const out = new PassThrough();
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = book.addWorksheet(lang === 'zh' ? '订单' : 'orders');
  sheet.columns = columns.map((c) => ({ key: c.key, header: c.header[lang], width: c.key === 'address' || c.key === 'title' ? 40 : 18 }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  void (async () => {
    for await (const r of rows) {
      // An amount is a number in a workbook (finance sums it), parsed from our exact decimal text and shown with its decimals.
      const row = sheet.addRow(Object.fromEntries(columns.map((c) => [c.key, c.kind === 'amount' && r[c.key] !== '' ? Number(r[c.key]) : r[c.key]])));
      for (const c of columns) {
        const v = r[c.key];
        if (c.kind === 'amount' && typeof v === 'string' && v !== '') row.getCell(c.key).numFmt = v.includes('.') ? `0.${'0'.repeat(v.split('.')[1]?.length ?? 0)}` : '0';
      }
      row.commit();
    }
    sheet.commit();
    await book.commit();
  })().catch((e: unknown) => out.destroy(e as Error));
  return out;
}

export const orderRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/orders/export',
    {
      config: { access: 'orders.export' },
      schema: {
        tags: ['orders'],
        summary: 'Export the orders a filter matches as CSV (UTF-8 with BOM, opens in Excel) or XLSX, newest first',
        description:
          'The same filters as the order list, inside the caller’s data scope. `layout=orders` gives one row per order, `layout=lines` one row per ' +
          'order line (SKU, title, quantity, unit price, line discount, and the carrier and tracking number of the parcel carrying it). Headers, ' +
          'states, channels and carriers in `lang` (zh or en; without it, the first of Accept-Language the hub speaks, else zh). Amounts in ' +
          'currency units with the currency’s decimals ("99.80"), times as YYYY-MM-DD HH:mm:ss in the shop’s time zone, the shop by name with ' +
          'its id in the last column. X-Total-Count says how many data rows follow (for a progress bar). The file is named by the shop’s date ' +
          '(orders-YYYYMMDD-HHmm.csv). Phones, names and addresses are masked; `reveal=true` needs pii.view. Every export is written to the ' +
          'audit log (orders.export, with the filter and the row count) before any row is read.',
        querystring: Type.Object({
          ...filterQuery,
          reveal: Type.Boolean({ default: false }),
          format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { default: 'csv' }),
          layout: Type.Union(exportLayouts.map((l) => Type.Literal(l)), { default: 'orders', description: 'orders: a row per order; lines: a row per order line' }),
          lang: Type.Optional(Type.Union(langs.map((l) => Type.Literal(l)), { description: 'headers and labels; default from Accept-Language, else zh' })),
        }),
        response: { 200: Type.Unknown({ description: 'text/csv; one header row, then one row per order (or per line)' }), 400: ErrorBody, 403: ErrorBody },
      },
    },
    async (req, reply) => {
      const p = who(req);
      const { reveal, format, layout, lang: asked, ...q } = req.query;
      const lang = pickLang(asked, req.headers['accept-language']);
      const filter = { ...q, createdFrom: instant('createdFrom', q.createdFrom), createdTo: instant('createdTo', q.createdTo) };
      const { counts, rows } = await hub.orders.export(p, filter, { reveal }, (entry) =>
        hub.writes.recordAudit(p, { ...entry, detail: { ...(entry.detail as object), format, layout, lang } }),
      );
      const timeZone = hub.config.timezone;
      const columns = exportColumns(layout);
      const total = layout === 'lines' ? counts.lineRows : counts.orders;
      const sheet = (async function* () {
        for await (const o of rows) yield* sheetRows(o, { layout, lang, timeZone });
      })();
      void reply
        .header('content-disposition', contentDisposition(exportFileName(layout, format, Date.now(), timeZone)))
        .header('x-total-count', String(total))
        .header('x-orderhub-rows', String(counts.orders))
        .header('content-language', lang)
        .header('cache-control', 'no-store');
      if (format === 'xlsx') {
        return reply.header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(xlsxStream(sheet, columns, lang));
      }
      const csv = stringify({ header: true, columns: columns.map((c) => ({ key: c.key, header: c.header[lang] })), bom: true });
      const source = Readable.from(sheet);
      source.on('error', (e) => csv.destroy(e));
      return reply.header('content-type', 'text/csv; charset=utf-8').send(source.pipe(csv));
    },
  );

  app.get(
    '/orders',
    {
      config: { access: 'orders.read' },
      schema: {
        summary: 'Orders, newest first, inside the caller’s scope',
        description: 'Filter by status, channel, shop, hold code, platform order id, creation time and a search text `q`; paged (page, pageSize) with the total. Receivers’ phones and addresses are masked unless the caller has pii.view.',
        tags: ['orders'],
        querystring: Type.Object({
          ...filterQuery,
          sort: Type.Optional(Type.Union(orderSorts.map((x) => Type.Literal(x)), { description: 'newest first by default' })),
          page: Type.Integer({ minimum: 1, default: 1 }),
          pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Composite([
                OrderSummary,
                Type.Object({ pendingApprovals: Type.Array(Type.String(), { description: 'kinds of the requests on the order waiting for a second person (待审批)' }) }),
              ]),
            ),
            total: Type.Integer(),
            page: Type.Integer(),
            pageSize: Type.Integer(),
          }),
          400: ErrorBody,
        },
      },
    },
    async (req) => {
      const q = req.query;
      return hub.orders.list(who(req), { ...q, createdFrom: instant('createdFrom', q.createdFrom), createdTo: instant('createdTo', q.createdTo) });
    },
  );

  app.get(
    '/orders/:idOrOrderNo',
    {
      config: { access: 'orders.read' },
      schema: {
        tags: ['orders'],
        summary: 'The 360° view of one order',
        description:
          'Phone numbers, addresses and names are masked. `reveal=true` shows them in full: it needs the permission pii.view, ' +
          'and every such view is written to the audit log.',
        params: Type.Object({ idOrOrderNo: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({ reveal: Type.Boolean({ default: false }) }),
        response: { 200: Type.Composite([OrderDetail, Type.Object({ payments: PaymentTimeline })]), 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const p = who(req);
      const detail = await hub.orders.get(p, req.params.idOrOrderNo, { reveal: req.query.reveal });
      if (req.query.reveal) {
        await hub.writes.recordAudit(p, { action: 'pii.view', targetType: 'order', targetId: detail.id, detail: { orderNo: detail.orderNo } });
      }
      return { ...detail, payments: await hub.payments.timeline(detail.id) };
    },
  );

  app.post(
    '/orders/:idOrOrderNo/transitions',
    {
      config: { access: 'orders.modify' },
      schema: {
        tags: ['orders'],
        summary: 'Move an order one declared step along the status anchor',
        params: Type.Object({ idOrOrderNo: Type.String({ maxLength: 64 }) }),
        description:
          'Cancelling an order that is already paid needs orders.cancel_paid and a second person’s approval: ' +
          'the answer is then 202 with the pending request (see /api/approvals).',
        body: Type.Object({
          to: Type.Union(orderStatuses.map((s) => Type.Literal(s))),
          reason: Type.String({ minLength: 1, maxLength: 500 }),
        }),
        response: { 200: OrderDetail, 202: PendingApproval, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) =>
      answerMaybePending(reply, await hub.writes.transitionOrder(who(req), req.params.idOrOrderNo, req.body.to, req.body.reason), (o) => o),
  );

  app.post(
    '/orders/:idOrOrderNo/price-change',
    {
      config: { access: 'prices.change' },
      schema: {
        tags: ['orders'],
        summary: 'Change line prices, line discounts, the shipping fee or the seller discount of an unpaid order (改价)',
        description:
          'Amounts in minor units. Checked now (the order must be unpaid, the amounts must add up) and again when carried out. ' +
          'Needs a second person’s approval under the default policy: the answer is then 202 with the pending request.',
        params: Type.Object({ idOrOrderNo: Type.String({ maxLength: 64 }) }),
        body: Type.Object({
          lines: Type.Optional(
            Type.Array(
              Type.Object({
                lineNo: Type.Integer({ minimum: 1 }),
                unitPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_00 })),
                discount: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_00 })),
              }),
              { maxItems: 500 },
            ),
          ),
          shippingFee: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_00 })),
          discountSeller: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_00 })),
          reason: Type.String({ minLength: 1, maxLength: 500 }),
        }),
        response: { 200: OrderDetail, 202: PendingApproval, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => answerMaybePending(reply, await hub.writes.requestPriceChange(who(req), req.params.idOrOrderNo, req.body), (o) => o),
  );

  app.post(
    '/orders/:idOrOrderNo/notes',
    {
      config: { access: 'orders.modify' },
      schema: {
        description: 'The note appears on the order’s timeline with its author; it is not sent to the platform. Audited.',
        tags: ['orders'],
        summary: 'Add a note to an order (customer service, warehouse)',
        params: Type.Object({ idOrOrderNo: Type.String({ maxLength: 64 }) }),
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 1000 }) }),
        response: { 200: OrderDetail, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => hub.writes.addOrderNote(who(req), req.params.idOrOrderNo, req.body.text),
  );

  app.post(
    '/orders/:idOrOrderNo/remark',
    {
      config: { access: 'orders.modify' },
      schema: {
        tags: ['orders'],
        summary: 'Write the seller’s remark and flag (卖家备注/旗帜): kept on the order and written back to the platform',
        description:
          'Where the platform has a remark client (Taobao taobao.trade.memo.update, …) a remark write is queued in the same transaction; the latest remark wins. ' +
          '400 VALIDATION_FAILED for an empty remark, one beyond the platform’s length (Taobao: 1000 bytes) or a flag outside 0–5.',
        params: Type.Object({ idOrOrderNo: Type.String({ maxLength: 64 }) }),
        body: Type.Object({ text: Type.String({ maxLength: 2000 }), flag: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 5 }), Type.Null()])) }, { additionalProperties: false }),
        response: { 200: OrderDetail, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => hub.writes.setSellerRemark(who(req), req.params.idOrOrderNo, req.body),
  );

  app.post(
    '/orders/:idOrOrderNo/retry-reservation',
    {
      config: { access: 'orders.modify' },
      schema: {
        description: 'For an order held for stock (STOCK_SHORT, PAID_NO_STOCK) after stock came in: reserves now if it can, or stays held with the reason. 409 CONFLICT when there is nothing to reserve.',
        tags: ['orders'],
        summary: 'Try again to reserve stock for a held order',
        params: Type.Object({ idOrOrderNo: Type.String({ maxLength: 64 }) }),
        response: { 200: OrderDetail, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.retryReservation(who(req), req.params.idOrOrderNo),
  );
};
