// A platform push whose order carries a NUL or a lone surrogate is stored, never refused or lost: its raw bytes are
// kept as received and what the connector read is made well-formed (NUL removed, lone surrogate → U+FFFD), the same on
// every store. Among 200 pushes arriving together none fails — on PostgreSQL a NUL in one order used to fail the
// whole group-commit batch (85 of 200 answered 500).
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { createShop, setStock, startServer, type TestServer } from '../support/server.ts';
import { orderBody, ownshopHeaders } from '../support/sign.ts';
import { createPaymentAccount, deliver, stripeEvent, stripeIntent, stripeWebhookSecret } from '../payments/support/hub.ts';

describe.each(httpBackends)('platform pushes with NUL and lone surrogates on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s);
    await setStock(s, 'A1', 10_000);
  });
  afterAll(async () => {
    await s?.close();
  });

  const send = async (raw: string) => {
    const res = await fetch(`${s.url}/hooks/ownshop/${shop.id}`, { method: 'POST', headers: ownshopHeaders(shop.secret, raw), body: raw });
    return { status: res.status, body: (await res.json()) as { orders?: { orderId: string }[]; error?: { code: string } } };
  };

  it('stores 200 concurrent pushes and the ones with a NUL or a lone surrogate, made well-formed; none answers 500', async () => {
    const good = Array.from({ length: 200 }, () => JSON.stringify(orderBody({ status: 'paid', paidAmount: 1999 })));
    const withNul = orderBody({ status: 'paid', paidAmount: 1999 });
    withNul.receiver = { ...withNul.receiver, name: '张\u0000三', address: '文三路\u0000 1 号' };
    const withSurrogate = orderBody({ status: 'paid', paidAmount: 1999 });
    withSurrogate.lines = [{ sku: 'A1', title: '保温杯\ud800', quantity: 1, unitPrice: 1999, discount: 0 }];
    // JSON.stringify writes the NUL as \u0000 and the lone surrogate as \ud800: what a platform sends.
    const odd = [JSON.stringify(withNul), JSON.stringify(withSurrogate)];
    expect(odd[0]).toContain('\\u0000');
    expect(odd[1]).toContain('\\ud800');
    const answers = await Promise.all([...good, ...odd].map(send));
    const statuses = answers.reduce<Record<number, number>>((m, a) => ({ ...m, [a.status]: (m[a.status] ?? 0) + 1 }), {});
    expect(statuses).toEqual({ 200: 202 });

    const orders = await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM orders WHERE account_id = ?', [shop.id]);
    expect(Number(orders?.c)).toBe(202);

    const nulOrder = answers[200]?.body.orders?.[0]?.orderId as string;
    const detail = await s.api<{ receiver: { name: string; address: string }; rawEvents: { id: number }[] }>('GET', `/api/orders/${nulOrder}?reveal=true`);
    expect(detail.status).toBe(200);
    expect(detail.body.receiver.name).toBe('张三');
    expect(detail.body.receiver.address).toBe('文三路 1 号');
    // The raw bytes are kept exactly as they came (the digest is of what was sent).
    const raw = await s.hub.db.read.get<{ body_sha256: string }>('SELECT body_sha256 FROM raw_events WHERE id = ?', [detail.body.rawEvents[0]?.id ?? 0]);
    expect(raw?.body_sha256).toBe(createHash('sha256').update(odd[0] as string).digest('hex'));

    const surrogateOrder = answers[201]?.body.orders?.[0]?.orderId as string;
    const lines = await s.api<{ lines: { title: string }[] }>('GET', `/api/orders/${surrogateOrder}`);
    expect(lines.body.lines[0]?.title).toBe('保温杯\ufffd');
  });

  it('keeps a signed push holding bytes that are not UTF-8 byte for byte, and a replay reads those bytes', async () => {
    const text = JSON.stringify(orderBody({ status: 'paid', paidAmount: 1999, lines: [{ sku: 'A1', title: 'CUP-TITLE', quantity: 1, unitPrice: 1999, discount: 0 }] }));
    // A shop sending Latin-1 by mistake: 0xE9 (é) alone is not UTF-8. The order is stored (the title reads U+FFFD).
    const bytes = Buffer.from(text.replace('CUP-TITLE', 'CUP-CAF\u0001'), 'utf8');
    bytes[bytes.indexOf(0x01)] = 0xe9;
    expect(bytes.toString('utf8')).toContain('\ufffd');
    const ts = Math.floor(Date.now() / 1000);
    // Signed over the exact bytes, as the shop's HMAC would be (written here, apart from the hub's verifier).
    const mac = createHmac('sha256', Buffer.from(shop.secret, 'utf8')).update(Buffer.concat([Buffer.from(`${ts}.`), bytes])).digest('hex');
    const headers = { 'content-type': 'application/json', 'x-orderhub-event-id': `latin1-${ts}-${Math.random()}`, 'x-orderhub-timestamp': String(ts), 'x-orderhub-signature': `v1=${mac}` };
    const res = await fetch(`${s.url}/hooks/ownshop/${shop.id}`, { method: 'POST', headers, body: bytes });
    const answer = (await res.json()) as { orders?: { orderId: string }[] };
    expect(res.status, JSON.stringify(answer)).toBe(200);
    const orderId = answer.orders?.[0]?.orderId as string;
    const raw = await s.hub.db.read.get<{ id: number; body: string; body_sha256: string }>('SELECT id, body, body_sha256 FROM raw_events WHERE order_id = ?', [orderId]);
    const kept = s.hub.keyring.decryptBytes(raw?.body ?? '');
    expect(kept.equals(bytes)).toBe(true);
    expect(createHash('sha256').update(kept).digest('hex')).toBe(raw?.body_sha256);
    const replay = await s.api<{ orders: { orderId: string }[] }>('POST', `/api/raw-events/${raw?.id}/replay`);
    expect(replay.status, JSON.stringify(replay.body)).toBe(200);
    expect(replay.body.orders[0]?.orderId).toBe(orderId);
    expect((await s.api<{ lines: { title: string }[] }>('GET', `/api/orders/${orderId}`)).body.lines[0]?.title).toBe('CUP-CAF\ufffd');
  });

  it('stores a signed payment notice whose order number holds a NUL (as an unknown order), never 500', async () => {
    const account = await createPaymentAccount(s, 'stripe', { webhookSecret: stripeWebhookSecret }, [shop.id]);
    const notice = stripeEvent('payment_intent.succeeded', stripeIntent('ORD-\u0000NUL', 1999));
    expect(notice.body).toContain('\\u0000');
    const r = await deliver(s, `/hooks/pay/stripe/${account}`, notice);
    expect(r.status, r.text).toBe(200);
    const stored = await s.hub.db.read.get<{ out_trade_no: string }>('SELECT out_trade_no FROM payment_notices WHERE payment_account_id = ?', [account]);
    expect(stored?.out_trade_no).toBe('ORD-NUL');
  });
});
