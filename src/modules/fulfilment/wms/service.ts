// External WMS (issue 7): a warehouse run by its own system reports picked, packed and shipped by signed push instead
// of the console. Each account operates one warehouse and carries its status dictionary as data (its code → our step);
// a push is verified over the raw bytes, mapped, and applied through the warehouse-flow steps the console uses, in one
// transaction with its own record, so a retried event id changes nothing.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HubError } from '../../../kernel/errors.ts';
import { parseIsoInstant } from '../../../kernel/time.ts';
import { systemPrincipal, type Principal } from '../../../kernel/principal.ts';
import { contains } from '../../../kernel/scope.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';
import { appendAudit } from '../../access/audit.ts';
import type { Database, Reader, Tx } from '../../../platform/db/database.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { newId } from '../../../kernel/ids.ts';
import { AccountCache, mergeCredentials } from '../../../platform/account-cache.ts';
import type { WarehouseFlowService } from '../warehouse-flow.ts';

export const wmsSteps = ['picked', 'packed', 'shipped', 'ignored'] as const;
export type WmsStep = (typeof wmsSteps)[number];
const rank: Record<string, number> = { planned: 0, waved: 1, picked: 2, packed: 3, shipped: 4, delivered: 5, returned: 6 };
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

interface Row {
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
interface WmsSecrets {
  secret: string;
  previousSecret?: string | undefined;
  previousSecretUntil?: number | undefined;
}

/** The account as the push path needs it: with the secrets that sign now. */
interface PushAccount {
  account: WmsAccount;
  secrets: WmsSecrets;
}

function secretProblems(secret: unknown): string[] {
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

export class WmsService {
  // Both push steps (verify here, apply in the writer) look the account up on every push: a short-lived cache, dropped
  // on every change made through this service (and by the hub's serving thread when the writer thread changed it).
  private readonly cache = new AccountCache<PushAccount>((id) => this.loadForPush(id));

  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly flow: WarehouseFlowService,
  ) {}

  /** Rows from before rotation stored the bare secret; since then the column holds JSON with the previous one. */
  private secrets(r: Row): WmsSecrets {
    const plain = this.keyring.decrypt(r.secret);
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

  private sealSecrets(s: WmsSecrets): string {
    return this.keyring.encrypt(JSON.stringify(s));
  }

  private async loadForPush(id: string): Promise<PushAccount | null> {
    const r = await this.row(id);
    return r ? { account: this.toAccount(r), secrets: this.secrets(r) } : null;
  }

  /** Drops a cached account (another thread changed it). */
  forget(id: string): void {
    this.cache.forget(id);
  }

  private inScope(who: Principal, warehouse: string): boolean {
    return contains(who.scope, 'wms_account', { warehouses: [warehouse] });
  }

  private toAccount(r: Row): WmsAccount {
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

  async create(who: Principal, input: WmsAccountInput, now = Date.now()): Promise<WmsAccount> {
    const name = input.name.trim();
    const warehouse = input.warehouse.trim();
    const problems = [
      ...(name ? [] : ['name must not be empty']),
      ...(warehouse ? [] : ['warehouse must not be empty']),
      ...(input.secret.length >= 16 ? [] : ['secret must be at least 16 characters']),
      ...dictionaryProblems(input.dictionary),
    ];
    if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
    // The account moves every shipment of its warehouse: only someone who may work that warehouse may add it.
    if (!this.inScope(who, warehouse)) throw new HubError('FORBIDDEN', `${who.name} may not connect a WMS to warehouse ${warehouse}`);
    // A typo would make an account whose every push finds no shipment.
    const known = await this.db.read.get<{ code: string }>('SELECT code FROM warehouses WHERE tenant_id = ? AND code = ?', [who.tenantId, warehouse]);
    if (!known) throw new HubError('VALIDATION_FAILED', `warehouse ${warehouse} does not exist: add it (or stock in it) first`, { errors: [`unknown warehouse ${warehouse}`] });
    const id = newId(now);
    await this.db.transaction(async (tx) => {
      await tx.run(`INSERT INTO wms_accounts (id, tenant_id, name, warehouse, secret, dictionary, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`, [
        id,
        who.tenantId,
        name,
        warehouse,
        this.sealSecrets({ secret: input.secret }),
        JSON.stringify(input.dictionary),
        now,
        now,
      ]);
      await appendAudit(tx, this.keyring, who, { action: 'wms_account.create', targetType: 'wms_account', targetId: id, after: { name, warehouse, dictionary: input.dictionary } }, now);
      await appendEvent(tx, { tenantId: who.tenantId, type: 'wms_account.created', aggregateType: 'wms_account', aggregateId: id, at: now, payload: { id, name, warehouse } });
    });
    this.cache.forget(id);
    return this.getFor(who, id);
  }

  /**
   * Name, dictionary (replaced whole, checked as on create), on/off, and the secret field by field. A replaced secret
   * keeps signing for `previousSecretValidMs`, so pushes the WMS sends before it switches are not refused.
   */
  async update(who: Principal, id: string, patch: WmsAccountPatch, now = Date.now()): Promise<WmsAccount> {
    const r = await this.rowFor(who, id);
    const current = this.toAccount(r);
    const problems: string[] = [];
    if (patch.name !== undefined && !patch.name.trim()) problems.push('name must not be empty');
    if (patch.dictionary !== undefined) problems.push(...dictionaryProblems(patch.dictionary));
    let secrets = this.secrets(r);
    let rotated = false;
    if (patch.credentials !== undefined) {
      const merged = mergeCredentials({ secret: secrets.secret }, patch.credentials);
      const unknown = Object.keys(merged).filter((k) => k !== 'secret');
      if (unknown.length) problems.push(`credentials take only secret (not ${unknown.join(', ')})`);
      problems.push(...secretProblems(merged.secret));
      if (problems.length === 0 && merged.secret !== secrets.secret) {
        secrets = { secret: merged.secret as string, previousSecret: secrets.secret, previousSecretUntil: now + previousSecretValidMs };
        rotated = true;
      }
    }
    if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
    const after = { name: patch.name?.trim() ?? current.name, active: patch.active ?? current.active, dictionary: (patch.dictionary as Record<string, WmsStep> | undefined) ?? current.dictionary };
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE wms_accounts SET name = ?, dictionary = ?, active = ?, secret = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL', [
        after.name,
        JSON.stringify(after.dictionary),
        after.active ? 1 : 0,
        this.sealSecrets(secrets),
        now,
        id,
      ]);
      await appendAudit(
        tx,
        this.keyring,
        who,
        {
          action: 'wms_account.update',
          targetType: 'wms_account',
          targetId: id,
          before: { name: current.name, active: current.active, dictionary: current.dictionary },
          after,
          detail: patch.credentials !== undefined ? { credentialsReplaced: Object.keys(patch.credentials), secretRotated: rotated } : undefined,
        },
        now,
      );
      await appendEvent(tx, { tenantId: current.tenantId, type: 'wms_account.updated', aggregateType: 'wms_account', aggregateId: id, at: now, payload: { id, fields: Object.keys(patch) } });
    });
    this.cache.forget(id);
    return this.getFor(who, id);
  }

  /** A new secret made here, answered once; the old one keeps signing for `previousSecretValidMs`. */
  async rotateSecret(who: Principal, id: string, now = Date.now()): Promise<{ account: WmsAccount; secret: string }> {
    const secret = `wmssec_${randomBytes(24).toString('base64url')}`;
    const account = await this.update(who, id, { credentials: { secret } }, now);
    return { account, secret };
  }

  /**
   * Deletes an account that never reported anything. One whose pushes are on record is refused (switch it off
   * instead): its name is in the shipments' and orders' history, and its dictionary is what tells what each recorded
   * code meant, so it must stay readable.
   */
  async remove(who: Principal, id: string, now = Date.now()): Promise<{ id: string; deleted: true }> {
    const current = this.toAccount(await this.rowFor(who, id));
    await this.db.transaction(async (tx) => {
      // The row first: a push being applied holds it (FOR SHARE), so the count below sees that push once it committed,
      // and a push that comes after sees the account deleted.
      const changed = await tx.run('UPDATE wms_accounts SET deleted_at = ?, active = 0, secret = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL', [now, this.keyring.encrypt(''), now, id]);
      if (changed !== 1) throw new HubError('ACCOUNT_NOT_FOUND', `WMS account ${id} does not exist`);
      const used = await tx.get<{ c: number }>('SELECT COUNT(*) AS c FROM wms_pushes WHERE wms_account_id = ?', [id]);
      const n = Number(used?.c ?? 0);
      if (n > 0) throw new HubError('CONFLICT', `WMS account ${current.name} has ${n} recorded push(es) in the shipments' history: switch it off instead of deleting it`, { pushes: n });
      await appendAudit(tx, this.keyring, who, { action: 'wms_account.delete', targetType: 'wms_account', targetId: id, before: { name: current.name, warehouse: current.warehouse, dictionary: current.dictionary }, after: { deleted: true } }, now);
      await appendEvent(tx, { tenantId: current.tenantId, type: 'wms_account.deleted', aggregateType: 'wms_account', aggregateId: id, at: now, payload: { id } });
    });
    this.cache.forget(id);
    return { id, deleted: true };
  }

  private async row(id: string, q: Reader | Tx = this.db.read): Promise<Row | undefined> {
    return q.get<Row>('SELECT * FROM wms_accounts WHERE id = ? AND deleted_at IS NULL', [id]);
  }

  /** An account the principal may see: its tenant, a warehouse in its scope. Anything else does not exist. */
  private async rowFor(who: Principal, id: string): Promise<Row> {
    const r = await this.row(id);
    if (!r || r.tenant_id !== who.tenantId || !this.inScope(who, r.warehouse)) throw new HubError('ACCOUNT_NOT_FOUND', `WMS account ${id} does not exist`);
    return r;
  }

  async getFor(who: Principal, id: string): Promise<WmsAccount> {
    return this.toAccount(await this.rowFor(who, id));
  }

  async list(who: Principal): Promise<WmsAccount[]> {
    const rows = await this.db.read.all<Row>('SELECT * FROM wms_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at, id', [who.tenantId]);
    return rows.filter((r) => this.inScope(who, r.warehouse)).map((r) => this.toAccount(r));
  }

  /**
   * The push's signature, as the own-shop push: X-Orderhub-Signature v1=<hex HMAC-SHA256(secret, timestamp + "." +
   * raw body)>, the timestamp within the tolerance. Returns the account; throws before anything is stored.
   */
  async verify(id: string, h: { signature?: string | undefined; timestamp?: string | undefined; eventId?: string | undefined }, raw: Buffer, now: number, toleranceSeconds: number): Promise<WmsAccount> {
    const a = await this.cache.get(id, now);
    if (!a) throw new HubError('ACCOUNT_NOT_FOUND', `no WMS account ${id}`);
    if (!a.account.active) throw new HubError('ACCOUNT_INACTIVE', `WMS account ${id} is switched off`);
    if (!h.signature) throw new HubError('SIGNATURE_MISSING', 'X-Orderhub-Signature header is required');
    if (!h.timestamp || !/^\d{1,12}$/.test(h.timestamp)) throw new HubError('TIMESTAMP_INVALID', 'X-Orderhub-Timestamp must be unix seconds');
    const candidates = h.signature
      .split(',')
      .map((p) => p.trim().split('=', 2))
      .filter(([scheme, v]) => scheme === 'v1' && v !== undefined && /^[0-9a-fA-F]{64}$/.test(v))
      .map(([, v]) => Buffer.from(v as string, 'hex'));
    if (candidates.length === 0) throw new HubError('SIGNATURE_INVALID', 'X-Orderhub-Signature must look like v1=<64 hex characters>');
    const { secret, previousSecret, previousSecretUntil } = a.secrets;
    const keys = previousSecret && (previousSecretUntil ?? 0) > now ? [secret, previousSecret] : [secret];
    const expected = keys.map((k) => createHmac('sha256', k).update(`${h.timestamp}.`).update(raw).digest());
    if (!candidates.some((c) => expected.some((e) => c.length === e.length && timingSafeEqual(c, e)))) throw new HubError('SIGNATURE_INVALID', 'signature does not match the body');
    const skew = Math.abs(now / 1000 - Number(h.timestamp));
    if (skew > toleranceSeconds) throw new HubError('TIMESTAMP_OUT_OF_WINDOW', `timestamp is ${Math.round(skew)} s away from now (allowed ±${toleranceSeconds} s)`);
    if (!h.eventId) throw new HubError('EVENT_ID_MISSING', 'X-Orderhub-Event-Id header is required');
    if (!/^[\x21-\x7e]{1,200}$/.test(h.eventId)) throw new HubError('VALIDATION_FAILED', 'X-Orderhub-Event-Id must be 1–200 visible ASCII characters');
    return a.account;
  }

  /**
   * Maps and applies one verified push, with its record, in one transaction. A known event id changes nothing (checked
   * before the dictionary, which may have changed since); the same id for a different report is refused.
   */
  async apply(p: WmsPush): Promise<WmsOutcome> {
    return this.db.transaction(async (tx) => {
      const found = await this.cache.get(p.wmsAccountId, p.receivedAt);
      if (!found) throw new HubError('ACCOUNT_NOT_FOUND', `no WMS account ${p.wmsAccountId}`);
      const { account } = found;
      // The cached account may be a moment old: the row decides, held against a delete until this push commits.
      tx.locks.take('account', [account.id]);
      const live = await tx.get<{ active: number }>(`SELECT active FROM wms_accounts WHERE id = ? AND deleted_at IS NULL${tx.dialect === 'postgres' ? ' FOR SHARE' : ''}`, [account.id]);
      if (!live) throw new HubError('ACCOUNT_NOT_FOUND', `no WMS account ${p.wmsAccountId}`);
      if (Number(live.active) !== 1) throw new HubError('ACCOUNT_INACTIVE', `WMS account ${p.wmsAccountId} is switched off`);
      const { shipmentId, status } = p.body;
      const who: Principal = { ...systemPrincipal(account.tenantId, `wms:${account.name}`), scope: { accounts: null, warehouses: [account.warehouse], provinces: null } };
      const seen = async () => {
        const before = await tx.get<{ shipment_id: string; status: string; step: WmsStep; outcome: WmsOutcome['outcome'] | 'pending' }>(
          'SELECT shipment_id, status, step, outcome FROM wms_pushes WHERE wms_account_id = ? AND event_id = ?',
          [account.id, p.eventId],
        );
        if (!before) return null;
        if (before.shipment_id !== shipmentId || before.status !== status) {
          throw new HubError('CONFLICT', `event id ${p.eventId} was used before for status "${before.status}" of shipment ${before.shipment_id}; a different report needs its own event id`, {
            eventId: p.eventId,
            shipmentId: before.shipment_id,
            status: before.status,
          });
        }
        // Only the answer needs it: a duplicate decides nothing, so it locks nothing.
        const current = await this.flow.packingState(tx, who, before.shipment_id, false);
        return { duplicate: true, shipmentId: before.shipment_id, status: before.status, step: before.step, outcome: before.outcome === 'pending' ? 'ignored' : before.outcome, state: current.state } satisfies WmsOutcome;
      };
      const known = await seen();
      if (known) return known;
      const step = Object.hasOwn(account.dictionary, status) ? account.dictionary[status] : undefined;
      if (!step) {
        throw new HubError('WMS_STATUS_UNKNOWN', `WMS status code "${status}" is not in the dictionary of WMS account ${account.name}; nothing was recorded`, { status });
      }
      const reportedAt = parseIsoInstant(p.body.at);
      const claimed = await tx.run(
        `INSERT INTO wms_pushes (wms_account_id, event_id, tenant_id, shipment_id, status, step, outcome, reported_at, received_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`,
        [account.id, p.eventId, account.tenantId, shipmentId, status, step, reportedAt, p.receivedAt],
      );
      if (claimed !== 1) {
        // Delivered twice at once: the other copy committed first.
        const again = await seen();
        if (again) return again;
        throw new HubError('CONFLICT', `event id ${p.eventId} is being recorded by another delivery; send it again`);
      }
      const now = p.receivedAt;
      // Shipping moves the shipment's orders: they are locked before the shipment (the one lock order).
      if (step === 'shipped') await this.flow.lockOrdersOf(tx, who, shipmentId);
      const { state, remaining } = await this.flow.packingState(tx, who, shipmentId);
      let outcome: WmsOutcome['outcome'] = 'applied';
      if (step === 'ignored') outcome = 'ignored';
      else if (state === 'cancelled') {
        // Stopped (拦截) after the WMS got it: no step applies any more, and a WMS that goes on must hear so, not 200.
        throw new HubError('SHIPMENT_CANCELLED', `shipment ${shipmentId} was cancelled (its orders were cancelled or shipped another way): stop work on it and put its units back; nothing was recorded`, {
          shipmentId,
          state,
        });
      }
      else if ((rank[state] ?? 0) >= (rank[step] ?? 0)) outcome = 'already_past';
      else if (step === 'picked') {
        await this.flow.pickIn(tx, who, shipmentId, now);
      } else {
        if (step === 'packed' && p.body.lines?.length) {
          // The WMS says which units went in: scanned as the console scans them (a wrong one refuses the push).
          await this.flow.scanIn(tx, who, shipmentId, p.body.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)), now);
        } else if (remaining.length) {
          await this.flow.scanIn(tx, who, shipmentId, remaining, now);
        }
        if (step === 'shipped') {
          const trackingNo = p.body.trackingNo?.trim();
          const carrier = p.body.carrier?.trim();
          if (!carrier || !trackingNo) throw new HubError('VALIDATION_FAILED', `a WMS "${status}" (shipped) push needs carrier and trackingNo`);
          await this.flow.shipIn(tx, who, shipmentId, { carrier, trackingNo }, now);
        }
      }
      const after = await this.flow.packingState(tx, who, shipmentId);
      await tx.run('UPDATE wms_pushes SET outcome = ? WHERE wms_account_id = ? AND event_id = ?', [outcome, account.id, p.eventId]);
      return { duplicate: false, shipmentId, status, step, outcome, state: after.state };
    });
  }
}
