// JD seller remark (商家备注) and flag: jingdong.pop.order.modifyVenderRemark (order_id, remark, flag) on the JOS router,
// signed like the pull. The remark replaces the one there, so a retry writes the same again: idempotent.
// JD's flag (颜色标识) is 0 gray, 1 red, 2 yellow, 3 green, 4 blue, 5 purple; the hub's flag numbers are the same
// colours, and "none" (0 or null) is JD's gray, its default.
import { PlatformWriteError, type CallContext, type RemarkWrite, type WriteResult } from '../types.ts';
import type { JdCredentials } from './index.ts';
import { jdBusinessError, jdWrite } from './write.ts';

const method = 'jingdong.pop.order.modifyVenderRemark';
/** JD's remark field limit as the seller back office shows it (备注最多500字); longer is refused before sending. */
const maxRemarkChars = 500;

export async function setRemarkJd(ctx: CallContext<JdCredentials>, remark: RemarkWrite): Promise<WriteResult> {
  if (!/^\d{1,20}$/.test(remark.platformOrderId)) throw new PlatformWriteError('ORDER_ID_INVALID', `JD order_id ${JSON.stringify(remark.platformOrderId)} is not a number`, { refused: true });
  const flag = remark.flag ?? 0;
  if (!Number.isInteger(flag) || flag < 0 || flag > 5) throw new PlatformWriteError('FLAG_INVALID', `JD flags are 0..5, not ${String(remark.flag)}`, { refused: true });
  if ([...remark.text].length > maxRemarkChars) throw new PlatformWriteError('REMARK_TOO_LONG', `JD takes a remark of at most ${maxRemarkChars} characters`, { refused: true });
  const r = await jdWrite(ctx, method, { order_id: remark.platformOrderId, remark: remark.text, flag: String(flag) });
  const result = r.body.modifyvenderremark_result as Record<string, unknown> | undefined;
  if (result?.success !== true && result?.success !== 'true') throw jdBusinessError(method, result, r.status);
  return { platformRef: null, already: false, status: r.status };
}
