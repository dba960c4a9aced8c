// PDD seller remark (商家备注) and flag: pdd.order.note.update (order_sn, note, tag 1 red … 5 purple with its tag_name,
// both or neither) on the PDD router, MD5-signed like the pull. The note replaces the one there, so a retry writes the
// same again: idempotent. The hub's flag numbers are PDD's tags; 0 or null sends no tag.
import { PlatformWriteError, type CallContext, type RemarkWrite, type WriteResult } from '../types.ts';
import type { PinduoduoCredentials } from './index.ts';
import { pddWrite } from './ship-back.ts';

const noteType = 'pdd.order.note.update';
/** tag_name: at most 3 characters (PDD), one per colour. */
const tagNames: Readonly<Record<number, string>> = { 1: '红', 2: '黄', 3: '绿', 4: '蓝', 5: '紫' };

export async function setRemarkPinduoduo(ctx: CallContext<PinduoduoCredentials>, remark: RemarkWrite): Promise<WriteResult> {
  if (!/^[0-9A-Za-z-]{1,64}$/.test(remark.platformOrderId)) throw new PlatformWriteError('ORDER_ID_INVALID', `PDD order_sn ${JSON.stringify(remark.platformOrderId)} is malformed`, { refused: true });
  const flag = remark.flag ?? 0;
  if (!Number.isInteger(flag) || flag < 0 || flag > 5) throw new PlatformWriteError('FLAG_INVALID', `PDD tags are 1..5 (0 for none), not ${String(remark.flag)}`, { refused: true });
  const tag: Record<string, string> = flag > 0 ? { tag: String(flag), tag_name: tagNames[flag] as string } : {};
  const r = await pddWrite(ctx, noteType, 'response', { order_sn: remark.platformOrderId, note: remark.text, ...tag });
  if (r.body.success !== true && r.body.success !== 'true') throw new PlatformWriteError(String(r.body.error_code ?? 'NOT_SUCCESS'), `Pinduoduo ${noteType}: ${String(r.body.error_msg ?? 'not success')}`, { status: r.status, refused: true });
  return { platformRef: null, already: false, status: r.status };
}
