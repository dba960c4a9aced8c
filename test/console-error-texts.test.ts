// The console words every hub error code in Chinese and in English (web/src/i18n-errors.ts): a code the hub can
// answer with and the console cannot word would reach a person as the server's English sentence.
import { describe, expect, it } from 'vitest';
import { httpStatus } from '../src/app/http/errors.ts';
import { errorText, translatedErrorCodes } from '../web/src/i18n-errors.ts';

const names: Record<string, string> = { 'shipState.packed': '已打包', 'shipState.shipped': '已发货', 'status.paid': '已付款', 'status.shipped': '已发货' };
const name = (group: string, code: string) => names[`${group}.${code}`] ?? code;

describe('the console’s words for the hub’s error codes', () => {
  it('has Chinese and English words for every code the hub answers with, and none for codes it does not know', () => {
    const codes = Object.keys(httpStatus).sort();
    expect([...translatedErrorCodes].sort()).toEqual(codes);
    for (const code of codes) {
      const zh = errorText('zh', code, undefined, name);
      const en = errorText('en', code, undefined, name);
      expect(zh, code).toMatch(/[\u4e00-\u9fff]/);
      // Chinese words with no English sentence in them (SKU, API, Webhook are names people use as they are).
      expect(zh?.replace(/SKU|API|Webhook/g, ''), code).not.toMatch(/[A-Za-z]{3,}/);
      expect(en, code).toMatch(/^[A-Z][^\u4e00-\u9fff]*$/);
      expect(zh).not.toContain(code);
    }
    expect(errorText('zh', 'SOMETHING_NEW', undefined, name)).toBeNull();
  });

  it('says what a refusal’s details name: the wrong scan, the parcel’s state, the field', () => {
    const scan = { wrong: ['ZZ-404'], extra: [{ sku: 'A1', scanned: 3, stillNeeded: 1 }] };
    expect(errorText('zh', 'PACK_SCAN_MISMATCH', scan, name)).toBe('扫描错误，本次未记录（不属于此包裹：ZZ-404；A1 扫了 3 件，还需 1 件）');
    expect(errorText('en', 'PACK_SCAN_MISMATCH', scan, name)).toBe('Wrong scan, nothing was recorded (not in this parcel: ZZ-404; A1: 3 scanned, 1 still needed)');
    expect(errorText('zh', 'SHIPMENT_STATE', { state: 'packed' }, name)).toBe('包裹当前为「已打包」，不能进行此操作');
    expect(errorText('zh', 'TRANSITION_NOT_ALLOWED', { from: 'paid', to: 'shipped' }, name)).toBe('不能从「已付款」变为「已发货」');
    expect(errorText('zh', 'VALIDATION_FAILED', { errors: [{ path: 'body/trackingNo', message: 'must match pattern' }] }, name)).toBe('输入有误：请检查「trackingNo」');
    // Details of an unexpected shape never break the words.
    expect(errorText('zh', 'PACK_SCAN_MISMATCH', 'nonsense', name)).toBe('扫描错误，本次未记录');
    expect(errorText('en', 'VALIDATION_FAILED', { errors: 7 }, name)).toBe('Invalid input, check it and try again');
    // A use case's check that names no field keeps its sentence, behind the console's words.
    expect(errorText('zh', 'VALIDATION_FAILED', undefined, name, 'secret must be at least 16 characters')).toBe('输入有误：secret must be at least 16 characters');
  });
});
