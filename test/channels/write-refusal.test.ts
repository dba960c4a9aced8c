// The platforms' refusals in people's words: each platform's code and message, in Chinese or English, maps to one
// reason the console translates; what the hub itself says (no client, network) keeps its own meaning.
import { describe, expect, it } from 'vitest';
import { writeExceptionActions, writeExceptionReason } from '../../src/modules/channels/domain/write-refusal.ts';

const refused = (code: string | null, error: string | null, status: number | null = 400) => writeExceptionReason({ state: 'refused', code, error, status });

describe('the reason of a platform write exception', () => {
  it('reads the buyer’s refund, a shipped or closed order, a wrong carrier and an unknown order from each platform’s words', () => {
    expect(refused('isv.logistics-offline-service-error-B150', '买家已申请退款，不能发货 (taobao.logistics.offline.send: 15 isv.logistics-offline-service-error-B150)')).toBe('refund_requested');
    expect(refused('order_refunding', '订单售后中，不能发货')).toBe('refund_requested');
    expect(refused('woocommerce_rest_order_refunded', 'The buyer was refunded: the order cannot be shipped.')).toBe('refund_requested');
    expect(refused('isv.logistics-offline-service-error-B04', '交易状态不允许发货')).toBe('status_not_allowed');
    expect(refused('ALREADY_SHIPPED', 'the order was already shipped')).toBe('already_shipped');
    expect(refused('CARRIER_UNKNOWN', 'carrier "pigeon" is not in the Taobao carrier dictionary')).toBe('carrier_unknown');
    expect(refused('isv.logistics-offline-service-error-B03', '物流公司不存在')).toBe('carrier_unknown');
    expect(refused('isv.trade-not-exist', '交易不存在')).toBe('order_not_found');
    expect(refused('REMARK_TOO_LONG', 'a Taobao memo is at most 1000 bytes')).toBe('remark_too_long');
  });

  it('keeps the hub’s own causes, the platform’s trouble and anything unknown apart', () => {
    expect(refused('NO_CLIENT', 'douyin has no remark client')).toBe('no_client');
    expect(refused('ACCOUNT_GONE', 'the channel account is gone')).toBe('account_gone');
    expect(writeExceptionReason({ state: 'failed', code: 'NETWORK', error: 'fetch failed', status: null })).toBe('network');
    expect(writeExceptionReason({ state: 'failed', code: 'isp.remote-service-timeout', error: '服务超时', status: 200 })).toBe('platform_unavailable');
    expect(writeExceptionReason({ state: 'failed', code: 'HTTP_503', error: 'answered HTTP 503', status: 503 })).toBe('platform_unavailable');
    expect(writeExceptionReason({ state: 'failed', code: 'rate_limit_exceeded', error: 'Too many requests', status: 429 })).toBe('rate_limited');
    expect(writeExceptionReason({ state: 'done', code: null, error: null, status: 200 })).toBe('unconfirmed');
    expect(refused('X-42', 'something nobody expected')).toBe('other');
  });

  it('offers a corrected resend for a ship-back only', () => {
    expect(writeExceptionActions('ship_back')).toEqual(['retry', 'resend', 'handle']);
    expect(writeExceptionActions('remark')).toEqual(['retry', 'handle']);
  });
});
