// The admin bearer token: from configuration, or generated once on first start and kept in the database.
import { randomBytes } from 'node:crypto';
import type { Database } from '../store/db.ts';

export async function ensureAdminToken(db: Database, configured: string): Promise<{ token: string; generated: boolean; source: string }> {
  if (configured) return { token: configured, generated: false, source: 'ORDERHUB_ADMIN_TOKEN' };
  const existing = await db.read.get<{ value: string }>(`SELECT value FROM settings WHERE key = 'admin_token'`);
  if (existing) return { token: existing.value, generated: false, source: 'database' };
  const token = 'oh_' + randomBytes(24).toString('base64url');
  // Two processes starting together: the first insert wins and both use the stored value.
  await db.transaction((tx) =>
    tx.run(`INSERT INTO settings (key, value, updated_at) VALUES ('admin_token', ?, ?) ON CONFLICT (key) DO NOTHING`, [token, Date.now()]),
  );
  const stored = await db.read.get<{ value: string }>(`SELECT value FROM settings WHERE key = 'admin_token'`);
  return { token: stored?.value ?? token, generated: stored?.value === token, source: 'database' };
}
