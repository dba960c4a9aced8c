// External WMS (issue 7): a warehouse run by its own system reports picked, packed and shipped by signed push instead
// of the console. Each account operates one warehouse and carries its status dictionary as data (its code → our step);
// a push is verified over the raw bytes, mapped, and applied through the warehouse-flow steps the console uses, in one
// transaction with its own record, so a retried event id changes nothing.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HubError } from '../domain/errors.ts';
import { systemPrincipal, type Principal } from '../domain/principal.ts';
import type { Keyring } from '../security/keyring.ts';
import { appendAudit } from '../store/audit.ts';
import type { Database, Reader, Tx } from '../store/db.ts';
import { appendEvent } from '../store/events.ts';
import { newId } from '../store/ids.ts';
import { transactionWithRetry } from '../store/retry.ts';
import type { WarehouseFlowService } from './warehouse-flow.ts';

export const wmsSteps = ['picked', 'packed', 'shipped', 'ignored'] as const;
export type WmsStep = (typeof wmsSteps)[number];
const rank: Record<string, number> = { planned: 0, waved: 1, picked: 2, packed: 3, shipped: 4, delivered: 5, returned: 6 };

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
  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly flow: WarehouseFlowService,
  ) {}

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
    const id = newId(now);
    await this.db.transaction(async (tx) => {
      await tx.run(`INSERT INTO wms_accounts (id, tenant_id, name, warehouse, secret, dictionary, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`, [
        id,
        who.tenantId,
        name,
        warehouse,
        this.keyring.encrypt(input.secret),
        JSON.stringify(input.dictionary),
        now,
        now,
      ]);
      await appendAudit(tx, this.keyring, who, { action: 'wms_account.create', targetType: 'wms_account', targetId: id, after: { name, warehouse, dictionary: input.dictionary } }, now);
      await appendEvent(tx, { tenantId: who.tenantId, type: 'wms_account.created', aggregateType: 'wms_account', aggregateId: id, at: now, payload: { id, name, warehouse } });
    });
    return this.getFor(who, id);
  }

  private async row(id: string, q: Reader | Tx = this.db.read): Promise<Row | undefined> {
    return q.get<Row>('SELECT * FROM wms_accounts WHERE id = ? AND deleted_at IS NULL', [id]);
  }

  async getFor(who: Principal, id: string): Promise<WmsAccount> {
    const r = await this.row(id);
    if (!r || r.tenant_id !== who.tenantId) throw new HubError('ACCOUNT_NOT_FOUND', `WMS account ${id} does not exist`);
    return this.toAccount(r);
  }

  async list(who: Principal): Promise<WmsAccount[]> {
    const rows = await this.db.read.all<Row>('SELECT * FROM wms_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at, id', [who.tenantId]);
    return rows.map((r) => this.toAccount(r));
  }

  /**
   * The push's signature, as the own-shop push: X-Orderhub-Signature v1=<hex HMAC-SHA256(secret, timestamp + "." +
   * raw body)>, the timestamp within the tolerance. Returns the account; throws before anything is stored.
   */
  async verify(id: string, h: { signature?: string | undefined; timestamp?: string | undefined; eventId?: string | undefined }, raw: Buffer, now: number, toleranceSeconds: number): Promise<WmsAccount> {
    const r = await this.row(id);
    if (!r) throw new HubError('ACCOUNT_NOT_FOUND', `no WMS account ${id}`);
    if (Number(r.active) !== 1) throw new HubError('ACCOUNT_INACTIVE', `WMS account ${id} is switched off`);
    if (!h.signature) throw new HubError('SIGNATURE_MISSING', 'X-Orderhub-Signature header is required');
    if (!h.timestamp || !/^\d{1,12}$/.test(h.timestamp)) throw new HubError('TIMESTAMP_INVALID', 'X-Orderhub-Timestamp must be unix seconds');
    const candidates = h.signature
      .split(',')
      .map((p) => p.trim().split('=', 2))
      .filter(([scheme, v]) => scheme === 'v1' && v !== undefined && /^[0-9a-fA-F]{64}$/.test(v))
      .map(([, v]) => Buffer.from(v as string, 'hex'));
    if (candidates.length === 0) throw new HubError('SIGNATURE_INVALID', 'X-Orderhub-Signature must look like v1=<64 hex characters>');
    const expected = createHmac('sha256', this.keyring.decrypt(r.secret)).update(`${h.timestamp}.`).update(raw).digest();
    if (!candidates.some((c) => c.length === expected.length && timingSafeEqual(c, expected))) throw new HubError('SIGNATURE_INVALID', 'signature does not match the body');
    const skew = Math.abs(now / 1000 - Number(h.timestamp));
    if (skew > toleranceSeconds) throw new HubError('TIMESTAMP_OUT_OF_WINDOW', `timestamp is ${Math.round(skew)} s away from now (allowed ±${toleranceSeconds} s)`);
    if (!h.eventId) throw new HubError('EVENT_ID_MISSING', 'X-Orderhub-Event-Id header is required');
    if (!/^[\x21-\x7e]{1,200}$/.test(h.eventId)) throw new HubError('VALIDATION_FAILED', 'X-Orderhub-Event-Id must be 1–200 visible ASCII characters');
    return this.toAccount(r);
  }

  /** Maps and applies one verified push, with its record, in one transaction. A known event id changes nothing. */
  async apply(p: WmsPush): Promise<WmsOutcome> {
    return transactionWithRetry(this.db, async (tx) => {
      const r = await this.row(p.wmsAccountId, tx);
      if (!r) throw new HubError('ACCOUNT_NOT_FOUND', `no WMS account ${p.wmsAccountId}`);
      const account = this.toAccount(r);
      const { shipmentId, status } = p.body;
      const step = Object.hasOwn(account.dictionary, status) ? account.dictionary[status] : undefined;
      if (!step) {
        throw new HubError('WMS_STATUS_UNKNOWN', `WMS status code "${status}" is not in the dictionary of WMS account ${account.name}; nothing was recorded`, { status });
      }
      const reportedAt = Date.parse(p.body.at);
      const claimed = await tx.run(
        `INSERT INTO wms_pushes (wms_account_id, event_id, tenant_id, shipment_id, status, step, outcome, reported_at, received_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`,
        [account.id, p.eventId, account.tenantId, shipmentId, status, step, Number.isFinite(reportedAt) ? reportedAt : null, p.receivedAt],
      );
      const who: Principal = { ...systemPrincipal(account.tenantId, `wms:${account.name}`), scope: { accounts: null, warehouses: [account.warehouse], provinces: null } };
      if (claimed !== 1) {
        const before = await tx.get<{ shipment_id: string; status: string; step: WmsStep; outcome: WmsOutcome['outcome'] }>('SELECT shipment_id, status, step, outcome FROM wms_pushes WHERE wms_account_id = ? AND event_id = ?', [
          account.id,
          p.eventId,
        ]);
        const current = await this.flow.packingState(tx, who, before?.shipment_id ?? shipmentId);
        return { duplicate: true, shipmentId: before?.shipment_id ?? shipmentId, status: before?.status ?? status, step: before?.step ?? step, outcome: before?.outcome ?? 'ignored', state: current.state };
      }
      const now = p.receivedAt;
      const { state, remaining } = await this.flow.packingState(tx, who, shipmentId);
      let outcome: WmsOutcome['outcome'] = 'applied';
      if (step === 'ignored') outcome = 'ignored';
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
