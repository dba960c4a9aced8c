// Taobao's message service (TMC) over plain HTTP: taobao.tmc.user.permit opens the shop's topics to the app,
// taobao.tmc.messages.consume takes up to `quantity` messages of a group, taobao.tmc.messages.confirm tells TMC they
// are handled (s_message_ids). A message not confirmed comes back after a while, so a consumer confirms only what it
// has stored. Signed like every TOP call. (TOP also offers a WebSocket channel; HTTP consume needs no long-lived
// connection and fits the hub's job loop.) open.taobao.com: taobao.tmc.messages.consume / .confirm / taobao.tmc.user.permit.
import { PlatformWriteError, type CallContext } from '../types.ts';
import type { TaobaoCredentials } from './index.ts';
import { topWrite } from './ship-back.ts';

/** The trade and refund topics the hub reads (each names the trade by tid in its content). */
export const tmcTopics = [
  'taobao_trade_TradeCreate',
  'taobao_trade_TradeBuyerPay',
  'taobao_trade_TradeSellerShip',
  'taobao_trade_TradePartlySellerShip',
  'taobao_trade_TradeSuccess',
  'taobao_trade_TradeClose',
  'taobao_trade_TradeCloseAndModifyDetailOrder',
  'taobao_trade_TradeMemoModified',
  'taobao_trade_TradeChanged',
  'taobao_refund_RefundCreated',
  'taobao_refund_RefundSuccess',
  'taobao_refund_RefundClosed',
] as const;

export interface TmcMessage {
  /** TMC's message id (a big number, kept as its digits): what confirm names. */
  id: string;
  topic: string;
  /** The trade the message is about (content.tid), or null when it names none. */
  tid: string | null;
  pubTime: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const isSuccess = (b: Record<string, unknown>) => b.is_success === true || b.is_success === 'true';

/** Opens the shop's topics to the app (taobao.tmc.user.permit); idempotent. */
export async function tmcPermit(ctx: CallContext<TaobaoCredentials>, topics: readonly string[] = tmcTopics): Promise<void> {
  const r = await topWrite(ctx, 'taobao.tmc.user.permit', { topics: topics.join(',') });
  if (!isSuccess(r.body)) throw new PlatformWriteError('NOT_SUCCESS', 'Taobao taobao.tmc.user.permit did not answer is_success', { status: r.status });
}

/** Takes up to `quantity` (TOP: at most 200) messages of the group; none when the queue is empty. */
export async function tmcConsume(ctx: CallContext<TaobaoCredentials>, group: string, quantity: number): Promise<TmcMessage[]> {
  const r = await topWrite(ctx, 'taobao.tmc.messages.consume', { group_name: group, quantity: String(Math.min(200, Math.max(1, quantity))) });
  const wrapped = r.body.messages as { tmc_message?: unknown } | undefined;
  const list = Array.isArray(wrapped?.tmc_message) ? (wrapped.tmc_message as Record<string, unknown>[]) : [];
  return list.map((m) => {
    let content: Record<string, unknown> = {};
    try {
      const c = JSON.parse(str(m.content).replace(/"(?:[^"\\]|\\.)*"|-?\d{16,}/g, (x) => (x.startsWith('"') ? x : `"${x}"`))) as unknown;
      if (c && typeof c === 'object' && !Array.isArray(c)) content = c as Record<string, unknown>;
    } catch {
      content = {};
    }
    const tid = str(content.tid);
    return { id: str(m.id), topic: str(m.topic), tid: /^\d{1,30}$/.test(tid) ? tid : null, pubTime: str(m.pub_time) };
  });
}

/** Confirms handled messages (s_message_ids, comma-separated): TMC will not deliver them again. */
export async function tmcConfirm(ctx: CallContext<TaobaoCredentials>, group: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const r = await topWrite(ctx, 'taobao.tmc.messages.confirm', { group_name: group, s_message_ids: ids.join(',') });
  if (!isSuccess(r.body)) throw new PlatformWriteError('NOT_SUCCESS', 'Taobao taobao.tmc.messages.confirm did not answer is_success', { status: r.status });
}
