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
}

export const toAccount = (r: ChannelAccountRow, keyring: Keyring): ChannelAccount => ({
  id: r.id,
  tenantId: r.tenant_id,
  platform: r.platform,
  name: r.name,
  active: r.active === 1,
  // Credentials are encrypted at rest like personal data (rows from before encryption are read as they are).
  credentials: JSON.parse(keyring.decrypt(r.credentials)) as Record<string, unknown>,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function accountInScope(who: Principal, id: string): boolean {
  return contains(who.scope, 'channel_account', { accounts: [id] });
}
