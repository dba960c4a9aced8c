// Data keys: personal data is encrypted with them (AES-256-GCM), phone numbers indexed by keyed hashes, and the
// audit chain signed. The first key encrypts; every key still decrypts, so a rotation never strands old rows.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { join, resolve } from 'node:path';
import { HubError } from '../../kernel/errors.ts';

export interface DataKey {
  id: string;
  /** 32 random bytes. */
  secret: Buffer;
}

interface DerivedKey {
  id: string;
  enc: KeyObject;
  index: Buffer;
  audit: Buffer;
  csrf: Buffer;
}

const ENC_PREFIX = 'enc:v1:';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

function derive(k: DataKey): DerivedKey {
  const sub = (info: string) => Buffer.from(hkdfSync('sha256', k.secret, Buffer.alloc(0), `orderhub ${info}`, 32));
  return { id: k.id, enc: createSecretKey(sub('pii encryption')), index: sub('pii index'), audit: sub('audit chain'), csrf: sub('csrf') };
}

/** Parses `id:base64,id2:base64` (the first one encrypts). */
export function parseKeyList(text: string): DataKey[] {
  const keys = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const i = item.indexOf(':');
      const id = i > 0 ? item.slice(0, i) : '';
      const secret = Buffer.from(item.slice(i + 1), 'base64');
      if (!KEY_ID.test(id)) throw new HubError('CONFIG_INVALID', `data key id "${id}" must be 1–32 letters, digits, _ or -`);
      if (secret.length !== 32) throw new HubError('CONFIG_INVALID', `data key ${id} must be 32 bytes in base64 (got ${secret.length})`);
      return { id, secret };
    });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new HubError('CONFIG_INVALID', 'data key ids must be distinct');
  return keys;
}

export function formatKeyList(keys: readonly DataKey[]): string {
  return keys.map((k) => `${k.id}:${k.secret.toString('base64')}`).join(',');
}

export function newDataKey(id = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`): DataKey {
  return { id, secret: randomBytes(32) };
}

export function keyFileFor(dataDir: string): string {
  return resolve(join(dataDir, 'keys'));
}

/**
 * The keyring from configuration (ORDERHUB_DATA_KEYS), else from `<dataDir>/keys`, created on first start
 * with mode 0600. `created` tells the caller to warn that this file must be backed up apart from the data.
 */
export function loadKeyring(configured: string, dataDir: string, create = true): { keyring: Keyring; source: string; created: boolean } {
  if (configured.trim()) return { keyring: new Keyring(parseKeyList(configured)), source: 'ORDERHUB_DATA_KEYS', created: false };
  const file = keyFileFor(dataDir);
  if (existsSync(file)) return { keyring: new Keyring(parseKeyList(readFileSync(file, 'utf8'))), source: file, created: false };
  if (!create) throw new HubError('CONFIG_INVALID', `no data keys: set ORDERHUB_DATA_KEYS or start the hub once to create ${file}`);
  mkdirSync(resolve(dataDir), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, formatKeyList([newDataKey()]) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  // Two processes starting together: the first rename wins; both then read the same file.
  if (existsSync(file)) {
    return { keyring: new Keyring(parseKeyList(readFileSync(file, 'utf8'))), source: file, created: false };
  }
  renameSync(tmp, file);
  return { keyring: new Keyring(parseKeyList(readFileSync(file, 'utf8'))), source: file, created: true };
}

export class Keyring {
  private readonly derived: DerivedKey[];
  private readonly byId: Map<string, DerivedKey>;

  constructor(keys: readonly DataKey[]) {
    if (keys.length === 0) throw new HubError('CONFIG_INVALID', 'the keyring needs at least one data key');
    this.derived = keys.map(derive);
    this.byId = new Map(this.derived.map((k) => [k.id, k]));
  }

  get activeId(): string {
    return (this.derived[0] as DerivedKey).id;
  }

  get ids(): string[] {
    return this.derived.map((k) => k.id);
  }

  private key(id: string): DerivedKey {
    const k = this.byId.get(id);
    if (!k) throw new HubError('CONFIG_INVALID', `data key "${id}" is not in the keyring (was it removed after a rotation?)`);
    return k;
  }

  /** AES-256-GCM with a fresh random 96-bit nonce: `enc:v1:<keyId>:<base64url(nonce | ciphertext | tag)>`. */
  encrypt(plain: string): string {
    return this.encryptBytes(Buffer.from(plain, 'utf8'));
  }

  /**
   * The same format over exact bytes: what a platform sent is kept byte for byte, invalid UTF-8 included (a string
   * would have turned each bad byte into U+FFFD, and the body would no longer match its digest).
   */
  encryptBytes(plain: Uint8Array): string {
    const k = this.derived[0] as DerivedKey;
    const iv = nonce();
    const c = createCipheriv('aes-256-gcm', k.enc, iv);
    const body = Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]);
    return `${ENC_PREFIX}${k.id}:${body.toString('base64url')}`;
  }

  encryptNullable(plain: string | null | undefined): string | null {
    return plain === null || plain === undefined ? null : this.encrypt(plain);
  }

  /** Decrypts a value written by encrypt; a value without the prefix predates encryption and is returned as is. */
  decrypt(stored: string): string {
    if (!stored.startsWith(ENC_PREFIX)) return stored;
    return this.decryptBytes(stored).toString('utf8');
  }

  /** The exact bytes encrypted (encryptBytes, or a string's UTF-8 by encrypt); a plaintext value's UTF-8. */
  decryptBytes(stored: string): Buffer {
    if (!stored.startsWith(ENC_PREFIX)) return Buffer.from(stored, 'utf8');
    const rest = stored.slice(ENC_PREFIX.length);
    const i = rest.indexOf(':');
    const k = this.key(rest.slice(0, i));
    const body = Buffer.from(rest.slice(i + 1), 'base64url');
    if (body.length < 28) throw new HubError('INTERNAL', 'an encrypted value is truncated');
    const d = createDecipheriv('aes-256-gcm', k.enc, body.subarray(0, 12));
    d.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()]);
  }

  decryptNullable(stored: string | null): string | null {
    return stored === null ? null : this.decrypt(stored);
  }

  static isEncrypted(stored: string | null): boolean {
    return stored !== null && stored.startsWith(ENC_PREFIX);
  }

  /** The key a stored value was encrypted with (null: plaintext from before encryption). */
  static keyIdOf(stored: string): string | null {
    if (!stored.startsWith(ENC_PREFIX)) return null;
    const rest = stored.slice(ENC_PREFIX.length);
    return rest.slice(0, rest.indexOf(':'));
  }

  /** Keyed hash for exact search (phone numbers), under the active key. */
  indexHash(value: string): string {
    return this.indexHashWith(this.activeId, value);
  }

  /** The hashes a search must look for: one per key, so rows not yet re-encrypted are still found. */
  indexHashes(value: string): string[] {
    return this.derived.map((k) => this.indexHashWith(k.id, value));
  }

  private indexHashWith(id: string, value: string): string {
    const k = this.key(id);
    return `${k.id}:` + createHmac('sha256', k.index).update(normalizeForIndex(value)).digest('base64url').slice(0, 32);
  }

  /** The CSRF token that belongs to a session: derived, so the console can fetch it again in a new tab. */
  csrfFor(sessionSecret: string): string {
    return createHmac('sha256', (this.derived[0] as DerivedKey).csrf).update(sessionSecret).digest('base64url');
  }

  /** HMAC for an audit row; without the key nobody can recompute the chain after editing it. */
  auditMac(id: string, data: string): string {
    return createHmac('sha256', this.key(id).audit).update(data).digest('hex');
  }
}

// Nonces come from the CSPRNG in blocks: one randomBytes call per 512 encryptions instead of one each (the call,
// not the randomness, is what costs). Every nonce is still 96 fresh random bits, used once.
let nonces = Buffer.alloc(0);
let nonceAt = 0;
function nonce(): Buffer {
  if (nonceAt + 12 > nonces.length) {
    nonces = randomBytes(12 * 512);
    nonceAt = 0;
  }
  const n = nonces.subarray(nonceAt, nonceAt + 12);
  nonceAt += 12;
  return n;
}

/** Phone numbers are compared by their digits: `+86 138-1234-1234` and `13812341234` are one number. */
export function normalizeForIndex(value: string): string {
  const digits = value.replace(/\D/g, '');
  return digits.length === 13 && digits.startsWith('86') ? digits.slice(2) : digits || value.trim();
}
