// What a WeChat Pay (APIv3, direct merchant) account needs: the keys WeChat signs with (to believe callbacks and
// answers), the APIv3 key (to decrypt callbacks), and the merchant's own API key pair (to sign requests).
import { createPrivateKey } from 'node:crypto';
import { certificateSerialPattern, verificationKeyProblems, type WechatPayVerificationKeys } from './keys.ts';

export const wechatPayDefaultApiBase = 'https://api.mch.weixin.qq.com';

export interface WechatPayConfig extends WechatPayVerificationKeys {
  /** The merchant number (商户号): the money must have gone to it. */
  mchid: string;
  /** The app ids (公众号/小程序/App) bound to the merchant that orders are placed with, for the payment service's check. */
  appids?: string[];
  /** The APIv3 key (32 characters, set in the merchant console): decrypts callback resources. */
  apiV3Key: string;
  /** The APIv3 key before a reset: WeChat switches at once, so this only helps callbacks already in flight. */
  previousApiV3Key?: string;
  /** The merchant API certificate's serial (商户API证书序列号), sent as serial_no in Authorization. */
  merchantSerialNo: string;
  /** The merchant API private key (apiclient_key.pem, PKCS#8 PEM): signs requests. Never logged. */
  merchantPrivateKey: string;
  /** Replaces https://api.mch.weixin.qq.com (the backup domain api2…, a simulator on loopback). */
  apiBase?: string;
}

function apiBaseProblems(v: unknown): string[] {
  if (v === undefined) return [];
  let u: URL | null = null;
  try {
    u = typeof v === 'string' ? new URL(v) : null;
  } catch {
    u = null;
  }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) return ['config.apiBase must be an https URL'];
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  if (u.protocol === 'http:' && !loopback) return ['config.apiBase must be https (plain http only on 127.0.0.1 or localhost)'];
  return [];
}

const isApiV3Key = (k: unknown) => typeof k === 'string' && Buffer.byteLength(k, 'utf8') === 32;

/** Problems with a WeChat Pay configuration; empty when usable. `now` flags expired platform certificates. */
export function configProblems(config: unknown, now = Date.now()): string[] {
  const c = config as Partial<WechatPayConfig> | null;
  if (!c || typeof c !== 'object') return ['config must be an object'];
  const problems: string[] = [];
  if (typeof c.mchid !== 'string' || !/^\d{1,32}$/.test(c.mchid)) problems.push('config.mchid must be the merchant number (digits)');
  if (c.appids !== undefined && (!Array.isArray(c.appids) || !c.appids.every((a) => typeof a === 'string' && /^[0-9A-Za-z_]{1,32}$/.test(a)))) {
    problems.push('config.appids must be a list of app ids (wx…)');
  }
  if (!isApiV3Key(c.apiV3Key)) problems.push('config.apiV3Key must be the 32-character APIv3 key');
  if (c.previousApiV3Key !== undefined && !isApiV3Key(c.previousApiV3Key)) problems.push('config.previousApiV3Key must be a 32-character APIv3 key');
  if (typeof c.merchantSerialNo !== 'string' || !certificateSerialPattern.test(c.merchantSerialNo)) {
    problems.push('config.merchantSerialNo must be the merchant API certificate serial (hex)');
  }
  if (typeof c.merchantPrivateKey !== 'string') {
    problems.push('config.merchantPrivateKey must be the merchant API private key (PEM)');
  } else {
    try {
      const k = createPrivateKey(c.merchantPrivateKey);
      if (k.asymmetricKeyType !== 'rsa') problems.push('config.merchantPrivateKey must be an RSA key');
    } catch {
      problems.push('config.merchantPrivateKey does not parse as a PEM private key');
    }
  }
  problems.push(...verificationKeyProblems(c, now), ...apiBaseProblems(c.apiBase));
  // WeChat would not accept the merchant's own certificate as its platform certificate; a mix-up of the two files.
  if (typeof c.merchantSerialNo === 'string' && c.platformCertificates && Object.keys(c.platformCertificates).some((s) => s.toUpperCase() === c.merchantSerialNo!.toUpperCase())) {
    problems.push('config.platformCertificates holds the merchant certificate serial: that is the merchant\'s own certificate, not WeChat Pay\'s');
  }
  return problems;
}
