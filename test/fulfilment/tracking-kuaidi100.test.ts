// Kuaidi100 pushes signed here with node:crypto from the documented formula (uppercase MD5(param + salt)), apart
// from the verifier, and every documented state checked against a table written here.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isHubError } from '../../src/kernel/errors.ts';
import {
  kuaidi100Answers,
  kuaidi100QueryRequest,
  kuaidi100SubscribeRequest,
  parseKuaidi100Param,
  receiveKuaidi100Push,
} from '../../src/modules/tracking/sources/kuaidi100/index.ts';

const salt = 'salt-测试-9';

function signedForm(param: string, s = salt): Buffer {
  const sign = createHash('md5').update(param + s, 'utf8').digest('hex').toUpperCase();
  return Buffer.from(`param=${encodeURIComponent(param)}&sign=${sign}`, 'utf8');
}

function param(state: string, data: Record<string, string>[], status = 'polling'): string {
  return JSON.stringify({
    status,
    billstatus: 'got',
    message: '',
    autoCheck: '0',
    comOld: '',
    comNew: '',
    lastResult: { message: 'ok', state, status: '200', condition: 'F00', ischeck: state === '3' ? '1' : '0', com: 'yuantong', nu: 'YT0001', data },
  });
}

const trace = (time: string, context: string, extra: Record<string, string> = {}) => ({ time, ftime: time, context, ...extra });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isHubError(e) ? e.code : 'OTHER';
  }
  return 'NONE';
}

describe('Kuaidi100 push', () => {
  const p = param('0', [trace('2026-11-20 10:00:00', '【杭州】已发出', { status: '在途', areaName: '浙江,杭州市' }), trace('2026-11-20 08:00:00', '已揽收', { status: '揽收' })]);

  it('accepts a push signed with the salt and reads it, oldest event first, times from Beijing time', () => {
    const u = receiveKuaidi100Push({ headers: {}, rawBody: signedForm(p) }, { salt });
    expect(u.trackingNumber).toBe('YT0001');
    expect(u.carrierCode).toBe('yuantong');
    expect(u.status).toBe('in_transit');
    expect(u.events.map((e) => e.status)).toEqual(['picked_up', 'in_transit']);
    expect(u.events[0]?.at).toBe(Date.UTC(2026, 10, 20, 0, 0, 0));
    expect(u.events[1]?.location).toBe('浙江,杭州市');
    expect(u.final).toBe(false);
  });

  it('refuses a push whose body, sign or salt differs by one byte', () => {
    const good = signedForm(p);
    const body = Buffer.from(good);
    const i = body.indexOf('YT0001');
    body[i + 5] = 0x32; // YT0001 → YT0002 inside the signed param
    expect(code(() => receiveKuaidi100Push({ headers: {}, rawBody: body }, { salt }))).toBe('SIGNATURE_INVALID');

    const text = good.toString('utf8');
    const sign = text.slice(text.indexOf('sign=') + 5);
    const flipped = (sign[0] === 'A' ? 'B' : 'A') + sign.slice(1);
    expect(code(() => receiveKuaidi100Push({ headers: {}, rawBody: Buffer.from(text.replace(sign, flipped)) }, { salt }))).toBe('SIGNATURE_INVALID');
    expect(code(() => receiveKuaidi100Push({ headers: {}, rawBody: good }, { salt: salt + 'x' }))).toBe('SIGNATURE_INVALID');
    expect(code(() => receiveKuaidi100Push({ headers: {}, rawBody: signedForm(p, 'salt-测试-8') }, { salt }))).toBe('SIGNATURE_INVALID');
  });

  it('refuses a lower-case sign, a missing sign, a repeated param and an unconfigured salt', () => {
    const text = signedForm(p).toString('utf8');
    const sign = text.slice(text.indexOf('sign=') + 5);
    expect(code(() => receiveKuaidi100Push({ headers: {}, rawBody: Buffer.from(text.replace(sign, sign.toLowerCase())) }, { salt }))).toBe('SIGNATURE_INVALID');
    expect(code(() => receiveKuaidi100Push({ headers: {}, rawBody: Buffer.from(`param=${encodeURIComponent(p)}`) }, { salt }))).toBe('SIGNATURE_MISSING');
    expect(code(() => receiveKuaidi100Push({ headers: {}, rawBody: Buffer.from(`${text}&param=x`) }, { salt }))).toBe('VALIDATION_FAILED');
    expect(code(() => receiveKuaidi100Push({ headers: {}, rawBody: signedForm(p, '') }, { salt: '' }))).toBe('CONFIG_INVALID');
  });

  it('marks shutdown and abort pushes final', () => {
    expect(parseKuaidi100Param(param('3', [], 'shutdown')).final).toBe(true);
    expect(parseKuaidi100Param(param('0', [], 'abort')).final).toBe(true);
    expect(parseKuaidi100Param(param('0', [], 'updateall')).final).toBe(false);
  });

  it('answers with the documented success body', () => {
    expect(JSON.parse(kuaidi100Answers.success.body)).toEqual({ result: true, returnCode: '200', message: '成功' });
  });
});

// Written from the documentation, not copied from the dictionary.
const mainStates: [string, string][] = [
  ['0', 'in_transit'], // 在途
  ['1', 'picked_up'], // 揽收
  ['2', 'exception'], // 疑难
  ['3', 'delivered'], // 签收
  ['4', 'returned'], // 退签
  ['5', 'out_for_delivery'], // 派件
  ['6', 'returning'], // 退回
  ['7', 'in_transit'], // 转投
  ['8', 'customs'], // 清关
  ['10', 'customs'], // 待清关
  ['11', 'customs'], // 清关中
  ['12', 'customs'], // 已清关
  ['13', 'exception'], // 清关异常
  ['14', 'rejected'], // 拒签
];
const subStates: [string, string, string[]][] = [
  ['101', 'info_received', []], // 已下单
  ['102', 'info_received', []], // 待揽收
  ['103', 'picked_up', []], // 已揽收
  ['1001', 'in_transit', []], // 到达派件城市
  ['1002', 'in_transit', []], // 干线
  ['1003', 'in_transit', []], // 转递
  ['201', 'exception', []], // 超时未签收
  ['202', 'exception', []], // 超时未更新
  ['203', 'rejected', []], // 拒收
  ['204', 'delivery_failed', []], // 派件异常
  ['205', 'exception', ['locker', 'station']], // 柜或驿站超时未取
  ['206', 'delivery_failed', []], // 无法联系
  ['207', 'delivery_failed', []], // 超区
  ['208', 'exception', []], // 滞留
  ['209', 'exception', []], // 破损
  ['210', 'exception', []], // 销单
  ['301', 'delivered', ['recipient_in_person']], // 本人签收
  ['302', 'delivered', ['after_exception']], // 派件异常后签收
  ['303', 'delivered', ['proxy']], // 代签
  ['304', 'delivered', ['locker', 'station']], // 投柜或站签收
  ['401', 'exception', []], // 已销单
  ['501', 'available_for_pickup', ['locker', 'station']], // 投柜或驿站
];

describe('Kuaidi100 status dictionary', () => {
  it.each(mainStates)('state %s → %s, as a signed push', (state, status) => {
    const u = receiveKuaidi100Push({ headers: {}, rawBody: signedForm(param(state, [])) }, { salt });
    expect(u.status).toBe(status);
    expect(u.rawStatus).toBe(state);
  });

  it.each(subStates)('sub-state %s → %s with evidence %j', (sub, status, evidence) => {
    const u = receiveKuaidi100Push({ headers: {}, rawBody: signedForm(param(sub, [trace('2026-11-21 09:00:00', 'x', { statusCode: sub })])) }, { salt });
    expect(u.status).toBe(status);
    expect([...u.evidence].sort()).toEqual([...evidence].sort());
    expect(u.events[0]?.status).toBe(status);
  });

  it('reads an undocumented sub-state as its family and an unknown state as unknown', () => {
    expect(parseKuaidi100Param(param('399', [])).status).toBe('delivered');
    expect(parseKuaidi100Param(param('1009', [])).status).toBe('in_transit');
    expect(parseKuaidi100Param(param('x', [])).status).toBe('unknown');
  });

  it('carries the sub-state evidence of the newest trace when the shipment state is the main 签收', () => {
    const u = parseKuaidi100Param(param('3', [trace('2026-11-21 09:00:00', '已签收，投柜', { statusCode: '304' }), trace('2026-11-21 08:00:00', '派件中', { statusCode: '5' })]));
    expect(u.status).toBe('delivered');
    expect(u.evidence.sort()).toEqual(['locker', 'station']);
  });

  it('maps a trace by the state name when no code is sent', () => {
    const u = parseKuaidi100Param(param('3', [trace('2026-11-21 09:00:00', '已签收', { status: '签收' })]));
    expect(u.events[0]?.status).toBe('delivered');
  });
});

describe('Kuaidi100 requests', () => {
  const config = { key: 'KEY123', salt, customer: 'CUST9' };
  it('builds the subscribe request with the salt, callback and advanced states', () => {
    const r = kuaidi100SubscribeRequest(config, { company: 'shunfeng', number: 'SF1', phone: '1234' }, 'https://hub.example/hooks/kuaidi100');
    expect(r.method).toBe('POST');
    expect(r.url).toBe('https://poll.kuaidi100.com/poll');
    const f = new URLSearchParams(r.body);
    expect(f.get('schema')).toBe('json');
    expect(JSON.parse(f.get('param') ?? '')).toEqual({
      company: 'shunfeng',
      number: 'SF1',
      key: 'KEY123',
      parameters: { callbackurl: 'https://hub.example/hooks/kuaidi100', salt, resultv2: '4', phone: '1234' },
    });
  });

  it('signs the real-time query as uppercase MD5(param + key + customer)', () => {
    const r = kuaidi100QueryRequest(config, { company: 'yuantong', number: 'YT1' });
    const f = new URLSearchParams(r.body);
    const p = f.get('param') ?? '';
    expect(f.get('sign')).toBe(createHash('md5').update(p + 'KEY123' + 'CUST9').digest('hex').toUpperCase());
    expect(f.get('customer')).toBe('CUST9');
  });
});
