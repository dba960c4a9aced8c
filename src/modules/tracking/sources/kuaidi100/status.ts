// Kuaidi100 status dictionary: the `state` codes of the push (and query) API and the advanced sub-states sent with
// `resultv2=4`, mapped to the hub's tracking status set. Names are Kuaidi100's own words.
import type { TrackingDictionary, TrackingMeaning } from '../types.ts';

/** Main states (every plan). 10–13 are the customs states from the query documentation. */
const main: TrackingDictionary = {
  '0': { status: 'in_transit', doc: '在途' },
  '1': { status: 'picked_up', doc: '揽收' },
  '2': { status: 'exception', doc: '疑难' },
  '3': { status: 'delivered', doc: '签收' },
  // 退签: the sender signed for the parcel coming back, i.e. it is back home.
  '4': { status: 'returned', doc: '退签' },
  '5': { status: 'out_for_delivery', doc: '派件' },
  '6': { status: 'returning', doc: '退回' },
  // 转投: handed to another carrier or address; still on its way.
  '7': { status: 'in_transit', doc: '转投' },
  '8': { status: 'customs', doc: '清关' },
  '10': { status: 'customs', doc: '待清关' },
  '11': { status: 'customs', doc: '清关中' },
  '12': { status: 'customs', doc: '已清关' },
  '13': { status: 'exception', doc: '清关异常' },
  '14': { status: 'rejected', doc: '拒签' },
};

/**
 * Advanced sub-states (`resultv2=4`). 1xx/3xx/5xx/10xx/401 are in Kuaidi100's state page as recorded in our research
 * notes; the 2xx family (疑难 details) comes from a third-party enum and is not confirmed against Kuaidi100's own page.
 */
const sub: TrackingDictionary = {
  '101': { status: 'info_received', doc: '已下单' },
  '102': { status: 'info_received', doc: '待揽收' },
  '103': { status: 'picked_up', doc: '已揽收' },
  '1001': { status: 'in_transit', doc: '到达派件城市' },
  '1002': { status: 'in_transit', doc: '干线' },
  '1003': { status: 'in_transit', doc: '转递' },
  '201': { status: 'exception', doc: '超时未签收' },
  '202': { status: 'exception', doc: '超时未更新' },
  '203': { status: 'rejected', doc: '拒收' },
  '204': { status: 'delivery_failed', doc: '派件异常' },
  // Waiting in a locker or station past its time: still not with the customer, and now a problem.
  '205': { status: 'exception', evidence: ['locker', 'station'], doc: '柜或驿站超时未取' },
  '206': { status: 'delivery_failed', doc: '无法联系' },
  '207': { status: 'delivery_failed', doc: '超区' },
  '208': { status: 'exception', doc: '滞留' },
  '209': { status: 'exception', doc: '破损' },
  '210': { status: 'exception', doc: '销单' },
  '301': { status: 'delivered', evidence: ['recipient_in_person'], doc: '本人签收' },
  '302': { status: 'delivered', evidence: ['after_exception'], doc: '派件异常后签收' },
  '303': { status: 'delivered', evidence: ['proxy'], doc: '代签' },
  '304': { status: 'delivered', evidence: ['locker', 'station'], doc: '投柜或站签收' },
  // The waybill was cancelled: nothing is travelling under this number any more.
  '401': { status: 'exception', doc: '已销单' },
  '501': { status: 'available_for_pickup', evidence: ['locker', 'station'], doc: '投柜或驿站' },
};

export const kuaidi100States: TrackingDictionary = { ...main, ...sub };

/** Kuaidi100 also writes the state's name in each trace's `status` field: the same dictionary, keyed by name. */
const byName: Record<string, string> = Object.fromEntries(Object.entries(kuaidi100States).map(([code, m]) => [m.doc, code]));

/**
 * The meaning of a Kuaidi100 code or state name. An undocumented sub-state is read as its family's main state
 * (3-digit codes: the first digit; 10xx: 在途) and says so in `doc`; anything else is `unknown`, never guessed.
 */
export function kuaidi100Meaning(codeOrName: string): TrackingMeaning & { code: string } {
  const code = Object.hasOwn(kuaidi100States, codeOrName) ? codeOrName : byName[codeOrName];
  if (code !== undefined) return { ...(kuaidi100States[code] as TrackingMeaning), code };
  let family: string | undefined;
  if (/^10\d\d$/.test(codeOrName)) family = '0';
  else if (/^[1-9]\d\d$/.test(codeOrName)) family = codeOrName.slice(0, 1);
  else if (/^1[0-4]\d\d$/.test(codeOrName)) family = codeOrName.slice(0, 2);
  const f = family === undefined ? undefined : kuaidi100States[family];
  if (f) return { status: f.status, doc: `undocumented sub-state of ${f.doc}`, code: codeOrName };
  return { status: 'unknown', doc: 'not in the Kuaidi100 dictionary', code: codeOrName };
}
