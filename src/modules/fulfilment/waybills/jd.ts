// JD e-waybills (京东无界电子面单) on the JOS router, signed like every JOS call (the channel connector's jdWrite: MD5
// over the sorted parameters wrapped in the secret, upper-case hex): jingdong.ldop.alpha.waybill.receive takes the
// number, jingdong.ldop.alpha.vendor.bigshot.query the 大头笔 / 三段码 for the label, jingdong.ldop.alpha.waybill.api.unbind
// gives it back (运单解绑, 无界电子面单-电子面单商家及ISV使用, apiId 2190 — there is no "vendor.cancel"). The receiver goes
// as JD gave it (its TDE ciphertexts of name and address, the masked phone) with the order's oaid when it has one, so
// the hub never decrypts it. Only translates: the waybill service decides when to call.
//
// Shapes from JD's SDKs and integrations read through the code corpus: waybill.receive takes one parameter, `content`,
// a JSON text {waybillType, waybillCount, vendorCode, vendorName, providerCode, providerId, branchCode, settlementCode,
// platformOrderNo, salePlatform (0010001 = JD), vendorOrderCode, weight (kg), volume, payType, shouldPayMoney,
// needGuarantee, guaranteeMoney, receiveTimeType, promiseTimeType, fromAddress, toAddress{provinceName, cityName,
// countryName (区/县), address, contact, phone, mobile, oaid}} and answers
// jingdong_ldop_alpha_waybill_receive_responce.resultInfo {statusCode (0 = success), statusMessage,
// data{platformOrderNo, waybillCodeList}}; bigshot.query {waybillCode, providerCode} answers resultInfo.data
// [{bigShotName, secondSectionCode, thirdSectionCode, gatherCenterName, …}]; api.unbind {providerCode, waybillCode}
// answers resultInfo.statusCode.
//
// Not confirmed: that the same vendorOrderCode asked again answers the same number (the hub's idempotency rests on it:
// the simulator does so); that toAddress takes `oaid` in waybill.receive (it is in the SDK's toAddress of the newer
// jingdong.logistics.ewaybill.waybill.create) and that JD's own ciphertexts are accepted in toAddress for JD orders;
// JD's non-zero statusCodes (any is read as a refusal with JD's statusMessage, except 系统异常/繁忙, retried).
import { jd } from '../../channels/connectors/jd/index.ts';
import type { JdCredentials } from '../../channels/connectors/jd/index.ts';
import { jdStr, jdWrite } from '../../channels/connectors/jd/write.ts';
import { codeFor, jdWaybillProviders } from './carriers.ts';
import { isRecord, PlatformWriteError, type CallContext, type IssuedWaybill, type WaybillClient, type WaybillRequest } from './types.ts';

export interface JdWaybillCredentials extends JdCredentials {
  /** 商家编码 (venderId): whose 无界 contracts the numbers come from. */
  vendorCode: string;
  vendorName?: string;
  /** 网点编码 of a 加盟 carrier's contract (中通, 圆通 …). */
  branchCode?: string;
  /** 月结编码 of a 直营 carrier's contract (顺丰, EMS …). */
  settlementCode?: string;
  /** 承运商ID, when the contract names one. */
  providerId?: number;
}

const receiveMethod = 'jingdong.ldop.alpha.waybill.receive';
const bigshotMethod = 'jingdong.ldop.alpha.vendor.bigshot.query';
const unbindMethod = 'jingdong.ldop.alpha.waybill.api.unbind';
/** 销售平台: JD's own orders; 0030001 is "other platforms". */
const jdSalePlatform = '0010001';

function providerOf(carrier: string): string {
  const code = codeFor(jdWaybillProviders, carrier);
  if (!code) throw new PlatformWriteError('CARRIER_UNKNOWN', `JD 无界 has no providerCode for carrier ${JSON.stringify(carrier)}`, { refused: true });
  return code;
}

/** resultInfo of a 无界 answer; a non-zero statusCode is a refusal with JD's reason, except JD's own trouble. */
async function alphaCall(ctx: CallContext<JdWaybillCredentials>, method: string, business: Record<string, unknown>): Promise<{ status: number; data: unknown }> {
  const r = await jdWrite(ctx, method, business);
  const info = isRecord(r.body.resultInfo) ? r.body.resultInfo : null;
  if (!info) throw new PlatformWriteError('BAD_RESPONSE', `JD ${method}: no resultInfo in the answer`, { status: r.status });
  const code = jdStr(info.statusCode);
  if (code !== '0') {
    const reason = jdStr(info.statusMessage) || 'JD said no';
    throw new PlatformWriteError(`STATUS_${code || 'UNKNOWN'}`, `${reason} (${method}: ${code})`, { status: r.status, refused: !/系统异常|系统繁忙|超时|system ?(error|busy)|timeout/i.test(reason) });
  }
  return { status: r.status, data: info.data };
}

/** JD's field encryption (TDE) as the order pull receives it: base64 ciphertext, or the `~…~` wrapped form. */
const looksEncrypted = (v: string) => /^[A-Za-z0-9+/]{24,}={0,2}$/.test(v) || /^~[A-Za-z0-9+/=]{8,}~/.test(v);

const providerIdOf = (c: JdWaybillCredentials) => (c.providerId !== undefined ? { providerId: c.providerId } : {});

export const jdWaybills: WaybillClient<JdWaybillCredentials> = {
  network: 'jd',
  label: 'JD',
  credentialProblems(v) {
    if (!isRecord(v)) return ['credentials must be an object'];
    const p = [...jd.credentialProblems(v)];
    if (typeof v.vendorCode !== 'string' || !/^\d{1,20}$/.test(v.vendorCode)) p.push('credentials.vendorCode must be the shop’s 商家编码 (venderId, digits)');
    for (const k of ['vendorName', 'branchCode', 'settlementCode']) if (v[k] !== undefined && (typeof v[k] !== 'string' || !v[k] || (v[k] as string).length > 100)) p.push(`credentials.${k} must be a non-empty text`);
    if (!v.branchCode && !v.settlementCode) p.push('credentials.branchCode (网点编码, 加盟 carriers) or credentials.settlementCode (月结编码, 直营 carriers) is required: the 无界 contract the numbers come from');
    if (v.providerId !== undefined && (typeof v.providerId !== 'number' || !Number.isSafeInteger(v.providerId) || v.providerId <= 0)) p.push('credentials.providerId must be a positive whole number');
    return p;
  },
  carrierCode: (carrier) => codeFor(jdWaybillProviders, carrier),

  async issue(ctx, req: WaybillRequest): Promise<IssuedWaybill> {
    const providerCode = providerOf(req.carrier);
    const c = ctx.credentials;
    const jdOrders = req.orders.filter((o) => o.channel === 'jd');
    const first = jdOrders[0];
    if (!first) throw new PlatformWriteError('ORDER_CHANNEL', 'a JD 无界 waybill is asked here for JD orders', { refused: true });
    const r = req.receiver;
    if (!first.receiverHandle && !(looksEncrypted(r.name) && looksEncrypted(r.address))) {
      throw new PlatformWriteError('RECEIVER_CIPHERTEXT_MISSING', 'a JD 无界 waybill needs the order’s receiver as JD encrypts it, or its oaid (the hub does not decrypt it): pull the order again', { refused: true });
    }
    const content = {
      waybillType: 1,
      waybillCount: 1,
      vendorCode: c.vendorCode,
      ...(c.vendorName ? { vendorName: c.vendorName } : {}),
      providerCode,
      ...providerIdOf(c),
      ...(c.branchCode ? { branchCode: c.branchCode } : {}),
      ...(c.settlementCode ? { settlementCode: c.settlementCode } : {}),
      platformOrderNo: first.platformOrderId,
      salePlatform: jdSalePlatform,
      // 商家自有订单号: the parcel's object id, so asking again names the same request.
      vendorOrderCode: req.objectId,
      weight: Math.round(req.weightGrams / 10) / 100,
      volume: 0,
      payType: 0,
      shouldPayMoney: 0,
      needGuarantee: false,
      guaranteeMoney: 0,
      receiveTimeType: 0,
      promiseTimeType: 0,
      goodsName: req.items.map((i) => i.name).join(',').slice(0, 100),
      fromAddress: { provinceName: req.sender.province, cityName: req.sender.city, countryName: req.sender.district, address: req.sender.address, contact: req.sender.name, phone: req.sender.phone, mobile: req.sender.phone },
      // JD's own ciphertexts (or its mask) as the order came, and its oaid when it has one: never decrypted here.
      toAddress: { provinceName: r.province, cityName: r.city, countryName: r.district, address: r.address, contact: r.name, phone: r.phone, mobile: r.phone, ...(first.receiverHandle ? { oaid: first.receiverHandle } : {}) },
    };
    const got = await alphaCall(ctx, receiveMethod, { content: JSON.stringify(content) });
    const list = isRecord(got.data) && Array.isArray(got.data.waybillCodeList) ? got.data.waybillCodeList : [];
    const waybillNo = jdStr(list[0]);
    if (!waybillNo) throw new PlatformWriteError('BAD_RESPONSE', `JD ${receiveMethod} answered no waybillCodeList`, { status: got.status });
    return { waybillNo, print: await routing(ctx, providerCode, waybillNo), status: got.status };
  },

  async cancel(ctx, w) {
    const got = await alphaCall(ctx, unbindMethod, { providerCode: providerOf(w.carrier), ...providerIdOf(ctx.credentials), waybillCode: w.waybillNo });
    return { status: got.status };
  },
};

/**
 * The label's 大头笔 and 三段码. Best effort: the number is what matters, so a failed query leaves the label without
 * its sort code rather than losing a number JD has already issued.
 */
async function routing(ctx: CallContext<JdWaybillCredentials>, providerCode: string, waybillCode: string): Promise<IssuedWaybill['print']> {
  try {
    const got = await alphaCall(ctx, bigshotMethod, { waybillCode, providerCode, ...providerIdOf(ctx.credentials) });
    const d = Array.isArray(got.data) ? got.data.find(isRecord) : isRecord(got.data) ? got.data : undefined;
    if (!d) return {};
    const sections = [jdStr(d.secondSectionCode), jdStr(d.thirdSectionCode)].filter(Boolean).join('-');
    return { sortCode: [jdStr(d.bigShotName), sections].filter(Boolean).join(' ') || undefined, raw: JSON.stringify(d) };
  } catch {
    return {};
  }
}
