// A crash between receiving payment notices and answering them: the hub process is SIGKILLed while WeChat Pay
// notices are in flight; after a restart WeChat's retries (same notice ids, signed anew) complete every payment
// exactly once — one paid transition, one notice row, one payment event per order, and stock deducted once.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { allBackends, pgUrl } from '../support/backends.ts';
import { adminApi, dropSchema, exited, openStore, spawnHub } from '../support/process.ts';
import { orderBody, ownshopHeaders } from '../support/sign.ts';
import { transaction, wechatCredentials, wechatNotice } from './support/hub.ts';

const token = 'pay-crash-token-0123456789';

const api = adminApi(token);

describe.each(allBackends)('crash while payment notices are answered, on $name', (backend) => {
  it('completes every payment exactly once when WeChat retries after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orderhub-paycrash-'));
    const schema = `paycrash_${randomBytes(5).toString('hex')}`;
    const env: Record<string, string> = { ORDERHUB_ADMIN_TOKEN: token, ORDERHUB_DATA_DIR: dir, ORDERHUB_DEMO: '0' };
    if (backend.name === 'postgres') Object.assign(env, { DATABASE_URL: pgUrl, ORDERHUB_PG_SCHEMA: schema });
    const N = 60;
    try {
      const first = await spawnHub(env);
      const shop = await api(first.url, 'POST', '/api/channel-accounts', { platform: 'ownshop', name: 'crash', credentials: { secret: 'crash-secret' } });
      const shopId = shop.body.id as string;
      // The hub never calls WeChat here (no refund, no timeout): apiBase points nowhere on purpose.
      const pay = await api(first.url, 'POST', '/api/payment-accounts', { provider: 'wechatpay', name: 'wx', credentials: wechatCredentials('http://127.0.0.1:9'), channelAccounts: [shopId] });
      expect(pay.status).toBe(201);
      const path = `/hooks/pay/wechatpay/${pay.body.id as string}`;
      await api(first.url, 'PUT', '/api/warehouses/WH1', { name: 'WH1' });
      await api(first.url, 'PUT', '/api/stock/PC-A', { warehouse: 'WH1', onHand: 1000, reason: 'test count' });
      const orders: { orderNo: string; noticeId: string; resource: ReturnType<typeof transaction> }[] = [];
      for (let i = 0; i < N; i++) {
        const raw = JSON.stringify(orderBody({ orderId: `PC-${i}`, lines: [{ sku: 'PC-A', quantity: 1, unitPrice: 500 }] }));
        const r = await fetch(`${first.url}/hooks/ownshop/${shopId}`, { method: 'POST', headers: ownshopHeaders('crash-secret', raw), body: raw });
        const b = (await r.json()) as { orders: { orderNo: string }[] };
        const orderNo = b.orders[0]?.orderNo as string;
        orders.push({ orderNo, noticeId: `EV-${randomUUID()}`, resource: transaction(orderNo, 500) });
      }

      // Every notice at once; the process dies while some are being stored or answered. The last third is sent only once
      // the kill is under way, so some notices are never answered however fast the hub is (a busy machine once let the
      // hub answer all 60 before the test got round to killing it).
      const acked = new Set<string>();
      let killing!: () => void;
      const killed = new Promise<void>((r) => (killing = r));
      const inFlight = orders.map(async (o, i) => {
        if (i >= (2 * N) / 3) await killed;
        else await new Promise((r) => setTimeout(r, i * 2));
        const n = wechatNotice('TRANSACTION.SUCCESS', o.resource, { id: o.noticeId });
        try {
          const r = await fetch(`${first.url}${path}`, { method: 'POST', headers: n.headers, body: n.body });
          if (r.status === 200) acked.add(o.noticeId);
          await r.text();
        } catch {
          // died with the process: WeChat saw no answer and will retry
        }
      });
      const start = Date.now();
      while (acked.size < N / 3 && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 2));
      first.child.kill('SIGKILL');
      killing();
      await exited(first.child);
      await Promise.all(inFlight);
      expect(acked.size).toBeGreaterThan(0);
      expect(acked.size).toBeLessThan(N);

      // WeChat retries every notice it has no 200 for — and, to be hard on the hub, the acknowledged ones too.
      const second = await spawnHub(env);
      for (const o of orders) {
        const n = wechatNotice('TRANSACTION.SUCCESS', o.resource, { id: o.noticeId });
        const r = await fetch(`${second.url}${path}`, { method: 'POST', headers: n.headers, body: n.body });
        expect(r.status).toBe(200);
        await r.text();
      }
      second.child.kill('SIGTERM');
      expect(await exited(second.child)).toBe(0);

      const { query, close } = await openStore(backend.name === 'postgres' ? 'postgres' : 'sqlite', dir, schema);
      try {
        const paid = await query(`SELECT COUNT(*) AS n FROM orders WHERE status = 'paid' AND reservation_state = 'deducted'`);
        expect(Number(paid[0]?.n)).toBe(N);
        expect(await query(`SELECT order_id FROM order_history WHERE to_status = 'paid' GROUP BY order_id HAVING COUNT(*) > 1`)).toEqual([]);
        expect(Number((await query(`SELECT COUNT(*) AS n FROM order_history WHERE to_status = 'paid'`))[0]?.n)).toBe(N);
        expect(Number((await query(`SELECT COUNT(*) AS n FROM payment_notices WHERE effect = 'paid'`))[0]?.n)).toBe(N);
        expect(Number((await query(`SELECT COUNT(*) AS n FROM outbox WHERE type = 'payment.received'`))[0]?.n)).toBe(N);
        const s = (await query(`SELECT on_hand, reserved FROM stock WHERE sku = 'PC-A'`))[0] as { on_hand: number; reserved: number };
        // Paid, not shipped: every unit still on the shelf, each paid order's reserved once.
        expect({ onHand: Number(s.on_hand), reserved: Number(s.reserved) }).toEqual({ onHand: 1000, reserved: N });
      } finally {
        await close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      if (backend.name === 'postgres') await dropSchema(schema);
    }
  }, 120_000);
});
