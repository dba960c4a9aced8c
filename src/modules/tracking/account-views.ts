// Tracking source accounts (Kuaidi100, AfterShip, 17TRACK) as stored and as the use cases see them: credentials
// decrypted, and the checks a create and an update share.
import { HubError } from '../../kernel/errors.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { trackingAdapter } from './sources/registry.ts';
import type { TrackingSource } from './sources/types.ts';

export interface TrackingAccount {
  id: string;
  tenantId: string;
  source: TrackingSource;
  name: string;
  active: boolean;
  apiBase: string | null;
  credentials: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface TrackingAccountRow {
  id: string;
  tenant_id: string;
  source: string;
  name: string;
  credentials: string;
  api_base: string | null;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface TrackingAccountInput {
  source: TrackingSource;
  name: string;
  credentials: Record<string, unknown>;
  apiBase?: string | null | undefined;
}

export interface TrackingAccountPatch {
  name?: string | undefined;
  credentials?: Record<string, unknown> | undefined;
  apiBase?: string | null | undefined;
  active?: boolean | undefined;
}

/** The API base an account points the hub at (a local fake in tests and the demo); none: the source's own. */
export function checkApiBase(apiBase: string | null | undefined): string | null {
  if (apiBase === undefined || apiBase === null || apiBase === '') return null;
  let u: URL;
  try {
    u = new URL(apiBase);
  } catch {
    throw new HubError('VALIDATION_FAILED', 'apiBase must be an absolute http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new HubError('VALIDATION_FAILED', 'apiBase must be an absolute http(s) URL');
  return apiBase.replace(/\/$/, '');
}

export function toTrackingAccount(r: TrackingAccountRow, keyring: Keyring): TrackingAccount {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    source: trackingAdapter(r.source).name,
    name: r.name,
    active: Number(r.active) === 1,
    apiBase: r.api_base,
    credentials: JSON.parse(keyring.decrypt(r.credentials)) as Record<string, unknown>,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Refuses credentials the source would not accept, naming every problem. */
export function refuseCredentialProblems(source: string, credentials: Record<string, unknown>): void {
  const problems = trackingAdapter(source).credentialProblems(credentials);
  if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
}
