// WeChat Pay's own signatures (callbacks and API answers alike): Wechatpay-Signature = base64 SHA256withRSA over
// `${Wechatpay-Timestamp}\n${Wechatpay-Nonce}\n${raw body}\n`, by the key Wechatpay-Serial names. Two kinds of key:
// a platform certificate (serial = the certificate's hex serial number) or the WeChat Pay public key (serial =
// PUB_KEY_ID_…, the mode new merchants get). Both may be configured during a switch; the serial picks one.
// pay.weixin.qq.com/doc/v3/merchant/4012154180 (public-key mode); wechatpay-go core/auth/verifiers/sha256withrsa_combined_verifier.go
import { X509Certificate, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';

export const publicKeyIdPattern = /^PUB_KEY_ID_[0-9A-Za-z_]{1,64}$/;
/** A certificate serial as WeChat writes it: hex, upper case in their headers. */
export const certificateSerialPattern = /^[0-9A-Fa-f]{1,64}$/;

/** The keys WeChat Pay signs with, as the merchant downloaded them. */
export interface WechatPayVerificationKeys {
  /** Platform-certificate mode: serial → the certificate PEM (or its public key PEM). */
  platformCertificates?: Record<string, string>;
  /** Public-key mode: PUB_KEY_ID_… → the WeChat Pay public key PEM (pub_key.pem from the merchant console). */
  publicKeys?: Record<string, string>;
}

export type KeyMode = 'platform-certificate' | 'public-key';

/** Parsed keys by PEM text: parsing RSA keys costs more than the verification itself. */
const parsed = new Map<string, KeyObject>();

/** A certificate or public key PEM as a public KeyObject; throws on anything else. */
export function publicKeyFromPem(pem: string): KeyObject {
  let k = parsed.get(pem);
  if (!k) {
    k = pem.includes('-----BEGIN CERTIFICATE-----') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
    if (k.asymmetricKeyType !== 'rsa') throw new Error(`not an RSA key (${k.asymmetricKeyType ?? 'unknown'})`);
    if (parsed.size > 256) parsed.clear();
    parsed.set(pem, k);
  }
  return k;
}

function own(map: Record<string, string> | undefined, key: string): string | undefined {
  return map && Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Certificate serials are hex: the header and the configuration may differ in case. */
function certificateFor(map: Record<string, string> | undefined, serial: string): string | undefined {
  const want = serial.toUpperCase();
  return own(map, serial) ?? Object.entries(map ?? {}).find(([k]) => k.toUpperCase() === want)?.[1];
}

/**
 * The key a serial names. An unknown serial is refused with details.unknownSerial set: WeChat signs with a new
 * certificate (or public key) the merchant has not configured yet, which the hub should raise as an alert.
 */
export function keyForSerial(keys: WechatPayVerificationKeys, serial: string): { key: KeyObject; mode: KeyMode } {
  const mode: KeyMode = serial.startsWith('PUB_KEY_ID_') ? 'public-key' : 'platform-certificate';
  // Public-key ids and certificate serials cannot collide (hex never contains "_"); look each up where it belongs.
  const pem = mode === 'public-key' ? own(keys.publicKeys, serial) : (certificateFor(keys.platformCertificates, serial));
  if (pem === undefined) {
    const known = [...Object.keys(keys.publicKeys ?? {}), ...Object.keys(keys.platformCertificates ?? {})];
    throw new HubError(
      'SIGNATURE_INVALID',
      mode === 'public-key'
        ? `WeChat Pay signed with public key ${serial}, which is not configured (the WeChat Pay public key was replaced?)`
        : `WeChat Pay signed with platform certificate ${serial}, which is not configured (certificate rotation?)`,
      { unknownSerial: serial, mode, known },
    );
  }
  try {
    return { key: publicKeyFromPem(pem), mode };
  } catch (e) {
    throw new HubError('CONFIG_INVALID', `the configured key for ${serial} does not parse: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined ? undefined : s.trim();
}

export interface WechatpaySignatureHeaders {
  timestamp: string | undefined;
  nonce: string | undefined;
  signature: string | undefined;
  serial: string | undefined;
  signatureType?: string | undefined;
}

/** The Wechatpay-* headers of a request or an answer (names lower-cased, as Node and fetch give them). */
export function wechatpayHeaders(get: (name: string) => string | undefined): WechatpaySignatureHeaders {
  return {
    timestamp: get('wechatpay-timestamp'),
    nonce: get('wechatpay-nonce'),
    signature: get('wechatpay-signature'),
    serial: get('wechatpay-serial'),
    signatureType: get('wechatpay-signature-type'),
  };
}

/** The official SDKs refuse |now − timestamp| ≥ 5 minutes (wechatpay-go consts.FiveMinute). */
export const defaultToleranceSeconds = 300;

/**
 * Checks WeChat Pay's signature on a callback or an API answer, over the raw body bytes. Order: every header present,
 * the timestamp inside the window (a replay of an old, genuinely signed message stops here), the serial known, then
 * the RSA signature. Returns the serial and the mode that verified.
 */
export function verifyWechatpaySignature(
  h: WechatpaySignatureHeaders,
  rawBody: Buffer,
  keys: WechatPayVerificationKeys,
  nowMs: number,
  toleranceSeconds = defaultToleranceSeconds,
  what = 'notification',
): { serial: string; mode: KeyMode } {
  const { timestamp, nonce, signature, serial } = h;
  if (!timestamp || !nonce || !signature || !serial) {
    const missing = Object.entries({ Timestamp: timestamp, Nonce: nonce, Signature: signature, Serial: serial }).filter(([, v]) => !v);
    throw new HubError('SIGNATURE_MISSING', `the ${what} lacks ${missing.map(([k]) => `Wechatpay-${k}`).join(', ')}`);
  }
  // WeChat also has SM2 (国密) signatures; only RSA is configured here, so anything else cannot be checked.
  if (h.signatureType && h.signatureType !== 'WECHATPAY2-SHA256-RSA2048') {
    throw new HubError('SIGNATURE_INVALID', `Wechatpay-Signature-Type ${h.signatureType.slice(0, 40)} is not supported`);
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new HubError('TIMESTAMP_INVALID', 'Wechatpay-Timestamp must be unix seconds');
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew >= toleranceSeconds) {
    throw new HubError('TIMESTAMP_OUT_OF_WINDOW', `Wechatpay-Timestamp is ${Math.round(skew)} s away from now (limit ${toleranceSeconds} s)`);
  }
  if (!/^[\x21-\x7e]{1,64}$/.test(nonce)) throw new HubError('SIGNATURE_INVALID', 'Wechatpay-Nonce is malformed');
  if (!publicKeyIdPattern.test(serial) && !certificateSerialPattern.test(serial)) {
    throw new HubError('SIGNATURE_INVALID', 'Wechatpay-Serial is neither a certificate serial nor a PUB_KEY_ID_', { unknownSerial: serial.slice(0, 80) });
  }
  const { key, mode } = keyForSerial(keys, serial);
  const sig = Buffer.from(signature, 'base64');
  // Only the canonical base64 of the bytes: otherwise a changed character in the padding bits would still pass.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature) || sig.toString('base64') !== signature) {
    throw new HubError('SIGNATURE_INVALID', 'Wechatpay-Signature is not base64');
  }
  const message = Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`), rawBody, Buffer.from('\n')]);
  if (!verify('sha256', message, key, sig)) {
    throw new HubError('SIGNATURE_INVALID', `Wechatpay-Signature does not match the ${what} (key ${serial})`);
  }
  return { serial, mode };
}

/** Problems with the configured keys; `now` to flag expired certificates (WeChat will not sign with those). */
export function verificationKeyProblems(keys: WechatPayVerificationKeys, now: number, prefix = 'config'): string[] {
  const problems: string[] = [];
  const certs = keys.platformCertificates;
  const pubs = keys.publicKeys;
  for (const [name, map] of [['platformCertificates', certs], ['publicKeys', pubs]] as const) {
    if (map !== undefined && (typeof map !== 'object' || map === null || Array.isArray(map))) problems.push(`${prefix}.${name} must be an object of id → PEM`);
  }
  if (problems.length) return problems;
  const entries = [...Object.entries(certs ?? {}), ...Object.entries(pubs ?? {})];
  if (!entries.length) problems.push(`${prefix}: configure the WeChat Pay public key (publicKeys: {PUB_KEY_ID_…: PEM}) or the platform certificates (platformCertificates: {serial: PEM})`);
  for (const [id, pem] of Object.entries(pubs ?? {})) {
    if (!publicKeyIdPattern.test(id)) problems.push(`${prefix}.publicKeys: ${id.slice(0, 80)} is not a public key id (PUB_KEY_ID_…)`);
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----')) problems.push(`${prefix}.publicKeys.${id.slice(0, 80)} must be a PEM public key`);
  }
  for (const [serial, pem] of Object.entries(certs ?? {})) {
    if (!certificateSerialPattern.test(serial)) problems.push(`${prefix}.platformCertificates: ${serial.slice(0, 80)} is not a certificate serial (hex)`);
    if (typeof pem !== 'string') {
      problems.push(`${prefix}.platformCertificates.${serial.slice(0, 80)} must be a PEM certificate or public key`);
      continue;
    }
    if (pem.includes('-----BEGIN CERTIFICATE-----')) {
      try {
        const cert = new X509Certificate(pem);
        // The serial WeChat puts in Wechatpay-Serial is the certificate's: a mismatch means the wrong file.
        if (cert.serialNumber.replace(/^0+/, '').toUpperCase() !== serial.replace(/^0+/, '').toUpperCase()) {
          problems.push(`${prefix}.platformCertificates.${serial}: the certificate's serial is ${cert.serialNumber}`);
        }
        if (Date.parse(cert.validTo) <= now) problems.push(`${prefix}.platformCertificates.${serial}: the certificate expired on ${cert.validTo}`);
      } catch {
        problems.push(`${prefix}.platformCertificates.${serial.slice(0, 80)} is not a readable certificate`);
      }
    }
  }
  for (const [id, pem] of entries) {
    if (typeof pem !== 'string') continue;
    try {
      publicKeyFromPem(pem);
    } catch (e) {
      problems.push(`${prefix}: the key for ${id.slice(0, 80)} does not parse (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  return problems;
}
