// Why a platform write is an exception, in words a person can act on: the platform's code and message (each platform
// words them its own way, in Chinese or English) mapped to one reason the console translates. Pure: no I/O.

export type WriteExceptionReason =
  | 'refund_requested'
  | 'already_shipped'
  | 'status_not_allowed'
  | 'carrier_unknown'
  | 'order_not_found'
  | 'tracking_invalid'
  | 'correction_unsupported'
  | 'nothing_to_correct'
  | 'remark_too_long'
  | 'no_client'
  | 'account_gone'
  | 'auth'
  | 'rate_limited'
  | 'platform_unavailable'
  | 'network'
  | 'unconfirmed'
  | 'other';

/** The actions a person may take on an exception of this reason (resend only where there is a parcel to correct). */
export type WriteExceptionAction = 'retry' | 'resend' | 'handle';

const rules: [WriteExceptionReason, RegExp][] = [
  ['carrier_unknown', /CARRIER_UNKNOWN|B03\b|物流公司不存在|logistics.?company|logistics_id|carrier|快递公司/i],
  ['refund_requested', /refund|退款|售后|B150\b/i],
  ['already_shipped', /already.?(shipped|sent|fulfilled|consigned)|已发货|重复发货|ALREADY_SHIPPED/i],
  ['status_not_allowed', /B04\b|状态不允许|not allowed in (its|the) (current )?status|closed|cancel|已关闭|已取消/i],
  ['order_not_found', /not.?exist|not.?found|不存在|invalid_id/i],
  ['tracking_invalid', /tracking|运单号|out_sid/i],
  ['remark_too_long', /memo|remark|note|备注/i],
  ['auth', /session|token|auth|授权|签名|sign|\b2[5-9]\b|\b53\b/i],
  ['rate_limited', /limit|429|频繁|throttl/i],
];

/** The reason behind a refused or failed write (from its code and message), or `unconfirmed` for a silent platform. */
export function writeExceptionReason(r: { state: string; code: string | null; error: string | null; status: number | null; unconfirmed?: boolean }): WriteExceptionReason {
  if (r.state === 'done') return 'unconfirmed';
  const code = r.code ?? '';
  if (code === 'NO_CLIENT') return 'no_client';
  if (code === 'ACCOUNT_GONE') return 'account_gone';
  if (code === 'NETWORK') return 'network';
  // A tracking-number correction the platform cannot take, or one whose old number the platform does not hold.
  if (code === 'CORRECTION_UNSUPPORTED') return 'correction_unsupported';
  if (code === 'NOTHING_TO_CORRECT') return 'nothing_to_correct';
  const text = `${code} ${r.error ?? ''}`;
  for (const [reason, re] of rules) if (re.test(text)) return reason;
  if (r.status === 429) return 'rate_limited';
  if (r.status !== null && r.status >= 500) return 'platform_unavailable';
  if (/^isp\./.test(code)) return 'platform_unavailable';
  return 'other';
}

/** What a person may do: retry (after a fix), resend a ship-back with a corrected carrier or number, or close it. */
export function writeExceptionActions(kind: string): WriteExceptionAction[] {
  return kind === 'ship_back' ? ['retry', 'resend', 'handle'] : ['retry', 'handle'];
}
