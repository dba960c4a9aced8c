// WMS accounts as stored and as the use cases see them: the steps a WMS status code may mean, the checks of a
// dictionary and a secret, the secrets sealed and opened, and what a push carries and answers.
import type { Principal } from '../../../kernel/principal.ts';
import { contains } from '../../../kernel/scope.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';

export const wmsSteps = ['picked', 'packed', 'shipped', 'ignored'] as const;
export type WmsStep = (typeof wmsSteps)[number];
/**
 * How long the secret before a rotation still signs: the WMS vendor changes its side when it is told (often a ticket
 * to their support), so a day rather than Shopify's hour; pushes in between are neither lost nor forged.
 */
export const previousSecretValidMs = 24 * 3_600_000;

export interface WmsAccount {
  id: string;
  tenantId: string;
  name: string;
  warehouse: string;
  active: boolean;
  dictionary: Record<string, WmsStep>;
  createdAt: number;
  updatedAt: number;
}

export interface WmsAccountRow {
  id: string;
  tenant_id: string;
  name: string;
  warehouse: string;
  secret: string;
  dictionary: string;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface WmsAccountInput {
  name: string;
  warehouse: string;
  secret: string;
  dictionary: Record<string, string>;
}

export interface WmsAccountPatch {
  name?: string | undefined;
  dictionary?: Record<string, unknown> | undefined;
  /** Field by field as the other account kinds (the one field is `secret`); the replaced secret stays valid a day. */
  credentials?: Record<string, unknown> | undefined;
  active?: boolean | undefined;
}

/** What the `secret` column holds, encrypted: the secret, and the one it replaced while that still signs. */
export interface WmsSecrets {
  secret: string;
  previousSecret?: string | undefined;
  previousSecretUntil?: number | undefined;
}

/** The account as the push path needs it: with the secrets that sign now. */
export interface PushAccount {
  account: WmsAccount;
  secrets: WmsSecrets;
}

export function secretProblems(secret: unknown): string[] {
  if (typeof secret !== 'string' || secret.length < 16) return ['secret must be at least 16 characters'];
  if (secret.length > 512) return ['secret must be at most 512 characters'];
  return [];
}

/** What the hook hands the writer once the signature is verified. */
export interface WmsPush {
  wmsAccountId: string;
  eventId: string;
  receivedAt: number;
  body: { shipmentId: string; status: string; at: string; carrier?: string | undefined; trackingNo?: string | undefined; lines?: { sku: string; quantity: number }[] | undefined };
}

export interface WmsOutcome {
  duplicate: boolean;
  shipmentId: string;
  status: string;
  step: WmsStep;
  /** applied: the step moved the shipment; ignored: the dictionary says so, or the shipment is already past it. */
  outcome: 'applied' | 'ignored' | 'already_past';
  state: string;
}

const codePattern = /^[\x21-\x7e\u00a0-\uffff][^\n\r]{0,63}$/;

/** The dictionary's problems, one per bad entry; empty when it is fine. */
export function dictionaryProblems(d: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const entries = Object.entries(d);
  if (entries.length === 0) problems.push('dictionary must map at least one WMS status code');
  if (entries.length > 500) problems.push('dictionary has more than 500 codes');
  for (const [code, step] of entries) {
    if (!codePattern.test(code)) problems.push(`dictionary code ${JSON.stringify(code.slice(0, 70))} must be 1–64 characters on one line`);
    if (typeof step !== 'string' || !(wmsSteps as readonly string[]).includes(step)) {
      problems.push(`dictionary["${code.slice(0, 64)}"] is ${JSON.stringify(step)}: a step must be one of ${wmsSteps.join(', ')}`);
    }
  }
  return problems;
}

/** Rows from before rotation stored the bare secret; since then the column holds JSON with the previous one. */
export function openSecrets(keyring: Keyring, r: WmsAccountRow): WmsSecrets {
  const plain = keyring.decrypt(r.secret);
  if (plain.startsWith('{')) {
    try {
      const x = JSON.parse(plain) as Partial<WmsSecrets>;
      if (typeof x.secret === 'string') return { secret: x.secret, previousSecret: x.previousSecret, previousSecretUntil: x.previousSecretUntil };
    } catch {
      // a bare secret that starts with "{"
    }
  }
  return { secret: plain };
}

export function sealSecrets(keyring: Keyring, s: WmsSecrets): string {
  return keyring.encrypt(JSON.stringify(s));
}

/** Whether the principal's scope takes in the warehouse a WMS account operates. */
export function wmsInScope(who: Principal, warehouse: string): boolean {
  return contains(who.scope, 'wms_account', { warehouses: [warehouse] });
}

export function toWmsAccount(r: WmsAccountRow): WmsAccount {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    warehouse: r.warehouse,
    active: Number(r.active) === 1,
    dictionary: JSON.parse(r.dictionary) as Record<string, WmsStep>,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
