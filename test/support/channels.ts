// What the channel tests do against a real hub: pull a window with the account's stored credentials and store each
// order the way the poller does (a raw event via pull, then ingest), and read an order's view by platform id.
import type { TestServer } from './server.ts';
import type { ChannelAdapter } from '../../src/modules/channels/connectors/types.ts';
import type { DeliveryResult } from '../../src/modules/orders/ingest/ingest.ts';

export async function pullIntoHub(s: TestServer, adapter: ChannelAdapter<never>, accountId: string, from: number, to: number): Promise<DeliveryResult[]> {
  const account = await s.hub.accounts.get(accountId);
  if (!account) throw new Error('no account');
  const pages = (adapter as ChannelAdapter<unknown>).pull?.({ credentials: account.credentials, from, to, fetch, now: Date.now });
  if (!pages) throw new Error(`${adapter.platform} has no pull`);
  const out: DeliveryResult[] = [];
  for await (const page of pages) {
    for (const p of page) {
      out.push(
        await s.hub.writes.ingest({
          tenantId: account.tenantId,
          accountId,
          channel: adapter.platform,
          eventId: p.eventId,
          receivedAt: Date.now(),
          headers: {},
          rawBody: p.rawBody,
          orders: [p.order],
          via: 'pull',
        }),
      );
    }
  }
  return out;
}

/** The order's 360° view, found by its platform id; throws when no such order is stored. */
export async function orderView(s: TestServer, platformOrderId: string) {
  const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${platformOrderId}`);
  const orderNo = found.body.items[0]?.orderNo;
  if (!orderNo) throw new Error(`order ${platformOrderId} not stored`);
  return (await s.api<{ status: string; platformStatus: string; hold: { code: string } | null; amounts: Record<string, number> }>('GET', `/api/orders/${orderNo}`)).body;
}
