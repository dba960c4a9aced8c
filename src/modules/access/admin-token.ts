// The break-glass admin bearer token: from configuration, or generated on first start and shown once. The
// database keeps only its hash; `orderhub token` issues a new one (the old one stops working).
import type { Principal } from '../../kernel/principal.ts';
import { HubError } from '../../kernel/errors.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { newSecret, secretHash } from '../../platform/security/secrets.ts';
import { appendAudit } from './audit.ts';
import type { Database } from '../../platform/db/database.ts';

export interface AdminToken {
  /** The token itself, only when it is known to this process: configured, or generated on this start. */
  token: string | null;
  generated: boolean;
  source: 'ORDERHUB_ADMIN_TOKEN' | 'database';
}

const HASH_KEY = 'admin_token_hash';

async function storedHash(db: Database): Promise<string | null> {
  return (await db.read.get<{ value: string }>(`SELECT value FROM settings WHERE key = ?`, [HASH_KEY]))?.value ?? null;
}

export async function ensureAdminToken(db: Database, configured: string): Promise<AdminToken> {
  if (configured) return { token: configured, generated: false, source: 'ORDERHUB_ADMIN_TOKEN' };
  if (await storedHash(db)) return { token: null, generated: false, source: 'database' };
  // A hub from before hashing kept the token itself: keep it working, store its hash, forget the token.
  const legacy = await db.read.get<{ value: string }>(`SELECT value FROM settings WHERE key = 'admin_token'`);
  const token = legacy?.value ?? newSecret('oh');
  const now = Date.now();
  // Two processes starting together: the first insert wins; the other shows no token.
  await db.transaction(async (tx) => {
    await tx.run(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`, [HASH_KEY, secretHash(token), now]);
    await tx.run(`DELETE FROM settings WHERE key = 'admin_token'`);
  });
  const mine = (await storedHash(db)) === secretHash(token);
  return { token: mine && !legacy ? token : null, generated: mine && !legacy, source: 'database' };
}

/** Checks a presented bearer token against the admin token (hash read through a short cache, so a rotation lands fast). */
export class AdminTokenCheck {
  private cached: { hash: string | null; until: number } | null = null;

  constructor(
    private readonly db: Database,
    private readonly configured: string,
  ) {}

  async hash(now = Date.now()): Promise<string | null> {
    if (this.configured) return secretHash(this.configured);
    if (this.cached && this.cached.until > now) return this.cached.hash;
    const hash = await storedHash(this.db);
    this.cached = { hash, until: now + 2_000 };
    return hash;
  }
}

/** Issues a new admin token: stores its hash (the old token stops working) and audits it. Returns the token, once. */
export async function rotateAdminToken(db: Database, keyring: Keyring, who: Principal, configured: string, now = Date.now()): Promise<string> {
  if (configured) throw new HubError('CONFLICT', 'the admin token comes from ORDERHUB_ADMIN_TOKEN: change it there');
  const token = newSecret('oh');
  await db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [HASH_KEY, secretHash(token), now],
    );
    await tx.run(`DELETE FROM settings WHERE key = 'admin_token'`);
    await appendAudit(tx, keyring, who, { action: 'admin_token.rotate', targetType: 'admin_token', targetId: null }, now);
  });
  return token;
}
