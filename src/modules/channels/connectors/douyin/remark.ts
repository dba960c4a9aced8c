// Douyin seller remark (卖家备注/旗标): order.addOrderRemark (order_id, remark of at most 60 characters, is_add_star,
// star 0–5: 0 灰 1 紫 2 青 3 绿 4 橙 5 红), signed like the pull. The remark replaces the one there, so a retry is
// harmless. Fields from the official Go SDK (zsmhub/doudian-sdk api/order_addOrderRemark).
import { PlatformWriteError, type CallContext, type RemarkWrite, type WriteResult } from '../types.ts';
import type { DouyinCredentials } from './index.ts';
import { douyinCall } from './write.ts';

/** The hub's flags (1 red, 2 yellow, 3 green, 4 blue, 5 purple) as Douyin's stars; yellow and blue by the nearest. */
const starOfFlag: Readonly<Record<number, string>> = { 1: '5', 2: '4', 3: '3', 4: '2', 5: '1' };
const maxRemarkChars = 60;

export async function setRemarkDouyin(ctx: CallContext<DouyinCredentials>, r: RemarkWrite): Promise<WriteResult> {
  if (!/^\d{1,30}$/.test(r.platformOrderId)) throw new PlatformWriteError('ORDER_ID_INVALID', `Douyin order_id ${JSON.stringify(r.platformOrderId)} is not a number`, { refused: true });
  if ([...r.text].length > maxRemarkChars) throw new PlatformWriteError('REMARK_TOO_LONG', `Douyin takes a remark of at most ${maxRemarkChars} characters`, { refused: true });
  const star = r.flag ? starOfFlag[r.flag] : undefined;
  if (r.flag && !star) throw new PlatformWriteError('FLAG_UNKNOWN', `flag ${r.flag} has no Douyin star`, { refused: true });
  const sent = await douyinCall(ctx, 'order.addOrderRemark', { order_id: r.platformOrderId, remark: r.text, is_add_star: star ? 'true' : 'false', ...(star ? { star } : {}) });
  return { platformRef: null, already: false, status: sent.status };
}
