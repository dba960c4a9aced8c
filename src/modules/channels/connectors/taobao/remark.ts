// Taobao/Tmall seller remark (卖家备注) and flag (旗帜): taobao.trade.memo.update on the TOP router, signed like every
// TOP call. It replaces the trade's memo (and adds one when there is none), so sending it again is harmless: no read
// first is needed. memo is at most 1000 bytes; flag 0 grey, 1 red, 2 yellow, 3 green, 4 blue, 5 pink.
// open.taobao.com/api.htm?docId=49&docType=2 (as the TOP SDKs describe the request)
import { PlatformWriteError, type CallContext, type RemarkWrite, type WriteResult } from '../types.ts';
import type { TaobaoCredentials } from './index.ts';
import { topWrite } from './ship-back.ts';

export const taobaoMemoMaxBytes = 1000;
const memoMethod = 'taobao.trade.memo.update';

export async function setRemarkTaobao(ctx: CallContext<TaobaoCredentials>, remark: RemarkWrite): Promise<WriteResult> {
  if (!/^\d{1,30}$/.test(remark.platformOrderId)) throw new PlatformWriteError('ORDER_ID_INVALID', `Taobao tid ${JSON.stringify(remark.platformOrderId)} is not a number`, { refused: true });
  if (Buffer.byteLength(remark.text, 'utf8') > taobaoMemoMaxBytes) throw new PlatformWriteError('REMARK_TOO_LONG', `a Taobao memo is at most ${taobaoMemoMaxBytes} bytes`, { refused: true });
  if (remark.flag !== null && !(Number.isInteger(remark.flag) && remark.flag >= 0 && remark.flag <= 5)) throw new PlatformWriteError('FLAG_INVALID', `Taobao flags are 0–5, not ${remark.flag}`, { refused: true });
  // An empty memo with reset=true clears it: without reset TOP ignores an empty memo.
  const business: Record<string, string> = { tid: remark.platformOrderId, memo: remark.text, ...(remark.text ? {} : { reset: 'true' }), ...(remark.flag !== null ? { flag: String(remark.flag) } : {}) };
  const r = await topWrite(ctx, memoMethod, business);
  const trade = r.body.trade as { tid?: unknown } | undefined;
  return { platformRef: trade?.tid !== undefined ? String(trade.tid) : null, already: false, status: r.status };
}
