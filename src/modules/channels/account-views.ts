// Channel accounts (shops) as stored and as the use cases see them: credentials decrypted, and who may see which.
import type { Principal } from '../../kernel/principal.ts';
import { contains } from '../../kernel/scope.ts';
import type { Keyring } from '../../platform/security/keyring.ts';

export interface ChannelAccount {
  id: string;
  tenantId: string;
  platform: string;
  name: string;
  active: boolean;
  credentials: Record<string, unknown>;
  /** The seller's settings beyond the credentials (Shopify stockLocationId): not secret, checked when saved. */
  settings: Record<string, unknown>;
  /** What the hub read from the shop once and keeps (Shopify primaryLocationId). */
  learned: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

export interface ChannelAccountRow {
  id: string;
  tenant_id: string;
  platform: string;
  name: string;
  credentials: string;
  active: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  settings: string;
  learned: string;
}

/** A JSON object column as an object ({} for anything else: a row from before the column, a damaged value). */
export function objectOf(text: string | null | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text ?? '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export const toAccount = (r: ChannelAccountRow, keyring: Keyring): ChannelAccount => ({
  id: r.id,
  tenantId: r.tenant_id,
  platform: r.platform,
  name: r.name,
  active: r.active === 1,
  // Credentials are encrypted at rest like personal data (rows from before encryption are read as they are).
  credentials: JSON.parse(keyring.decrypt(r.credentials)) as Record<string, unknown>,
  settings: objectOf(r.settings),
  learned: Object.fromEntries(Object.entries(objectOf(r.learned)).filter((e): e is [string, string] => typeof e[1] === 'string')),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function accountInScope(who: Principal, id: string): boolean {
  return contains(who.scope, 'channel_account', { accounts: [id] });
}
