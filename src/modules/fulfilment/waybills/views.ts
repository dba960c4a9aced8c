// Waybill accounts and waybills as the fulfilment module reads them (rows typed by the schema) and shows them.
import { HubError } from '../../../kernel/errors.ts';
import { toIso } from '../../../kernel/time.ts';
import type { Database } from '../../../platform/db/database.ts';
import type { WaybillAccountsTable, WaybillsTable } from '../../../platform/db/schema.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';
import type { Logger } from '../../../platform/log.ts';
import type { WaybillSender } from './types.ts';

export type WaybillAccountRow = WaybillAccountsTable;
export type WaybillRow = WaybillsTable;

export interface WaybillDeps {
  db: Database;
  keyring: Keyring;
  fetch: typeof fetch;
  log: Logger;
  /** How long one network call may take before it counts as a network failure. */
  callTimeoutMs: number;
  /** The first retry of an owed cancel; each next one doubles, up to an hour. */
  retryBaseMs: number;
  /** A network's own label (Shopee's shipping document): how often to ask whether it is made, and how long between. */
  documentPolls: number;
  documentPollMs: number;
}

export interface WaybillAccountInput {
  network: string;
  name: string;
  carrier: string;
  credentials: Record<string, unknown>;
  sender: WaybillSender;
}

/** An account as people see it: the credentials are write-only (their names only). */
export interface WaybillAccountView {
  id: string;
  network: string;
  name: string;
  carrier: string;
  credentialKeys: string[];
  sender: WaybillSender;
  active: boolean;
  createdAt: string | null;
}

export type WaybillState = 'requesting' | 'issued' | 'cancel_pending' | 'cancelled';

export interface WaybillView {
  shipmentId: string;
  network: string;
  carrier: string;
  accountId: string;
  state: WaybillState;
  waybillNo: string | null;
  sortCode: string | null;
  requestedAt: string | null;
  issuedAt: string | null;
  cancelledAt: string | null;
  cancelReason: string | null;
  lastError: string | null;
}

export function toAccountView(keyring: Keyring, r: WaybillAccountRow): WaybillAccountView {
  return {
    id: r.id,
    network: r.network,
    name: r.name,
    carrier: r.carrier,
    credentialKeys: Object.keys(openCredentials(keyring, r)),
    sender: JSON.parse(r.sender) as WaybillSender,
    active: Number(r.active) === 1,
    createdAt: toIso(Number(r.created_at)),
  };
}

export function openCredentials(keyring: Keyring, r: WaybillAccountRow): Record<string, unknown> {
  return JSON.parse(keyring.decrypt(r.credentials)) as Record<string, unknown>;
}

export function toWaybillView(r: WaybillRow): WaybillView {
  const at = (v: number | null) => (v === null || v === undefined ? null : toIso(Number(v)));
  return {
    shipmentId: r.shipment_id,
    network: r.network,
    carrier: r.carrier,
    accountId: r.account_id,
    state: r.state as WaybillState,
    waybillNo: r.waybill_no,
    sortCode: r.sort_code,
    requestedAt: at(r.requested_at),
    issuedAt: at(r.issued_at),
    cancelledAt: at(r.cancelled_at),
    cancelReason: r.cancel_reason,
    lastError: r.error,
  };
}

/** The network that serves each channel's orders with the platform's own receiver handle. */
export const networkForChannel: Readonly<Record<string, string>> = { taobao: 'cainiao', tmall: 'cainiao', pinduoduo: 'pinduoduo', douyin: 'douyin', jd: 'jd', shopee: 'shopee' };

export function senderProblems(v: unknown): string[] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return ['sender must be an object'];
  const s = v as Record<string, unknown>;
  return ['name', 'phone', 'province', 'city', 'district', 'address'].filter((k) => typeof s[k] !== 'string' || (k !== 'district' && !(s[k] as string).trim())).map((k) => `sender.${k} is required`);
}

export function notFound(shipmentId: string): HubError {
  return new HubError('WAYBILL_NOT_FOUND', `shipment ${shipmentId} has no waybill: get one first`);
}
