// Second approvals: a sensitive operation is stored as a pending request; a different person with the permission
// approves (the operation runs, in the same transaction as the decision) or rejects it. Every step is audited.
import { actorKey, approvalKinds, checkDecider, isApprovalKind, type ApprovalKind, type ApprovalState } from './domain/approvals.ts';
import { HubError, isHubError } from '../../kernel/errors.ts';
import { can, type Principal } from '../../kernel/principal.ts';
import { isUnlimited } from '../../kernel/scope.ts';
import { toIso } from '../../kernel/time.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { appendAudit } from './audit.ts';
import type { Database, SqlValue, Tx } from '../../platform/db/database.ts';
import { newId } from '../../kernel/ids.ts';

export interface ApprovalSettings {
  /** The kinds that wait for a second person; the others run at once. */
  required: readonly ApprovalKind[];
  /** Hours a request stays open before it expires. */
  ttlHours: number;
}

/** What a service hands over when an operation needs a second approval. */
export interface ApprovalDraft {
  kind: ApprovalKind;
  targetType: string;
  targetId: string | null;
  /** One line a decider reads, e.g. `ORD-20261122-00001: total 19900 → 15900`. */
  summary: string;
  /** Everything needed to run the operation later; plain JSON, no personal data. */
  payload: Record<string, unknown>;
}

export interface ApprovalContext {
  approvalId: string;
  requestedBy: string;
}

/** Runs an approved operation inside the decision's transaction, as the decider; returns what to keep as the result. */
export interface ApprovalExecutor {
  apply(tx: Tx, decider: Principal, payload: Record<string, unknown>, ctx: ApprovalContext, now: number): Promise<unknown>;
  /** Whether a principal may see this request at all: its target inside the data scope. Absent: an unlimited scope only. */
  visible?(who: Principal, a: { targetId: string | null; payload: Record<string, unknown> }): Promise<boolean>;
}

interface Row {
  id: string;
  tenant_id: string;
  kind: string;
  permission: string;
  target_type: string;
  target_id: string | null;
  summary: string;
  payload: string;
  state: string;
  requested_by: string;
  requested_by_name: string;
  requested_at: number;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: number | null;
  decision_reason: string | null;
  result: string | null;
}

export interface ApprovalView {
  id: string;
  kind: ApprovalKind;
  label: string;
  permission: string;
  state: ApprovalState;
  targetType: string;
  targetId: string | null;
  summary: string;
  payload: Record<string, unknown>;
  requestedBy: string;
  requestedAt: string | null;
  expiresAt: string | null;
  /** True when the caller made this request (and so may not decide it). */
  mine: boolean;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  result: unknown;
}

/** The answer of an operation that may need a second approval: either done, or waiting. */
export type MaybePending<T> = { done: T } | { pending: ApprovalView };

export class ApprovalService {
  private readonly executors = new Map<ApprovalKind, ApprovalExecutor>();

  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly settings: ApprovalSettings,
  ) {}

  register(kind: ApprovalKind, executor: ApprovalExecutor): void {
    this.executors.set(kind, executor);
  }

  /** Does this kind wait for a second person under the configured policy? */
  required(kind: ApprovalKind): boolean {
    return this.settings.required.includes(kind);
  }

  private executor(kind: ApprovalKind): ApprovalExecutor {
    const e = this.executors.get(kind);
    if (!e) throw new Error(`no executor registered for approval kind ${kind}`);
    return e;
  }

  private view(r: Row, who: Principal): ApprovalView {
    const kind = r.kind as ApprovalKind;
    const expiresAt = Number(r.requested_at) + this.settings.ttlHours * 3_600_000;
    return {
      id: r.id,
      kind,
      label: isApprovalKind(kind) ? approvalKinds[kind].label : kind,
      permission: r.permission,
      state: r.state as ApprovalState,
      targetType: r.target_type,
      targetId: r.target_id,
      summary: r.summary,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      requestedBy: r.requested_by_name,
      requestedAt: toIso(Number(r.requested_at)),
      expiresAt: r.state === 'pending' ? toIso(expiresAt) : null,
      mine: r.requested_by === actorKey(who),
      decidedBy: r.decided_by_name,
      decidedAt: toIso(r.decided_at === null ? null : Number(r.decided_at)),
      decisionReason: r.decision_reason,
      result: r.result ? (JSON.parse(r.result) as unknown) : null,
    };
  }

  /**
   * Stores a request inside the caller's transaction (after the caller checked it could run now) and audits it.
   * A second open request of the same kind for the same target is refused: decide the first one.
   */
  async open(tx: Tx, who: Principal, d: ApprovalDraft, now: number): Promise<ApprovalView> {
    if (d.targetId !== null) {
      const open = await tx.get<{ id: string }>(
        `SELECT id FROM approvals WHERE tenant_id = ? AND kind = ? AND target_type = ? AND target_id = ? AND state = 'pending' AND requested_at > ?`,
        [who.tenantId, d.kind, d.targetType, d.targetId, now - this.settings.ttlHours * 3_600_000],
      );
      if (open) throw new HubError('CONFLICT', `a ${d.kind} request for this ${d.targetType} is already waiting for approval (${open.id})`, { approval: open.id });
    }
    const row: Row = {
      id: newId(now),
      tenant_id: who.tenantId,
      kind: d.kind,
      permission: approvalKinds[d.kind].permission,
      target_type: d.targetType,
      target_id: d.targetId,
      summary: d.summary.slice(0, 500),
      payload: JSON.stringify(d.payload),
      state: 'pending',
      requested_by: actorKey(who),
      requested_by_name: who.name,
      requested_at: now,
      decided_by: null,
      decided_by_name: null,
      decided_at: null,
      decision_reason: null,
      result: null,
    };
    await tx.run(
      `INSERT INTO approvals (id, tenant_id, kind, permission, target_type, target_id, summary, payload, state, requested_by, requested_by_name, requested_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      [row.id, row.tenant_id, row.kind, row.permission, row.target_type, row.target_id, row.summary, row.payload, row.requested_by, row.requested_by_name, now],
    );
    await appendAudit(
      tx,
      this.keyring,
      who,
      { action: 'approval.request', targetType: d.targetType, targetId: d.targetId, after: { approval: row.id, kind: d.kind, summary: row.summary }, detail: d.payload },
      now,
    );
    return this.view(row, who);
  }

  private async load(who: Principal, id: string): Promise<Row> {
    const r = await this.db.read.get<Row>('SELECT * FROM approvals WHERE tenant_id = ? AND id = ?', [who.tenantId, id]);
    // Outside the caller's scope answers exactly like a request that does not exist.
    if (!r || !isApprovalKind(r.kind) || !(await this.visible(who, r))) throw new HubError('APPROVAL_NOT_FOUND', `approval ${id} does not exist`);
    return r;
  }

  private async visible(who: Principal, r: Row): Promise<boolean> {
    if (r.requested_by === actorKey(who)) return true;
    if (!can(who, 'approvals.decide') || !isApprovalKind(r.kind)) return false;
    const check = this.executor(r.kind).visible;
    return check ? check(who, { targetId: r.target_id, payload: JSON.parse(r.payload) as Record<string, unknown> }) : isUnlimited(who.scope);
  }

  /** Requests the caller made, and, for a decider, the ones in their scope. Newest first. */
  async list(who: Principal, f: { state?: ApprovalState | undefined; limit: number }): Promise<ApprovalView[]> {
    const decider = can(who, 'approvals.decide');
    const params: SqlValue[] = [who.tenantId];
    let where = 'tenant_id = ?';
    if (!decider) {
      where += ' AND requested_by = ?';
      params.push(actorKey(who));
    }
    if (f.state) {
      where += ' AND state = ?';
      params.push(f.state);
    }
    // Whether a request is in scope depends on its kind's target (an order, a shop, a stock change's warehouses), so it
    // is decided per row: read page after page until there are enough, or none are left.
    const out: ApprovalView[] = [];
    const page = Math.max(f.limit, 50);
    for (let offset = 0; out.length < f.limit; offset += page) {
      const rows = await this.db.read.all<Row>(`SELECT * FROM approvals WHERE ${where} ORDER BY requested_at DESC, id DESC LIMIT ? OFFSET ?`, [...params, page, offset]);
      for (const r of rows) {
        if (out.length >= f.limit) break;
        if (isApprovalKind(r.kind) && (await this.visible(who, r))) out.push(this.view(r, who));
      }
      if (rows.length < page) break;
    }
    return out;
  }

  async get(who: Principal, id: string): Promise<ApprovalView> {
    return this.view(await this.load(who, id), who);
  }

  private async close(who: Principal, id: string, state: ApprovalState, reason: string | null, result: unknown, now: number, tx: Tx): Promise<void> {
    tx.locks.take('approval', [id]);
    const changed = await tx.run(
      `UPDATE approvals SET state = ?, decided_by = ?, decided_by_name = ?, decided_at = ?, decision_reason = ?, result = ?
       WHERE id = ? AND state = 'pending'`,
      [state, actorKey(who), who.name, now, reason, result === undefined || result === null ? null : JSON.stringify(result), id],
    );
    if (changed !== 1) throw new HubError('APPROVAL_DECIDED', `approval ${id} was decided already`);
  }

  /**
   * Approves (runs the operation) or rejects a pending request. Refused: one's own request (APPROVAL_SELF, audited),
   * missing permissions, a request already decided or expired. An approved operation that can no longer run
   * (the order moved on, stock was taken) closes the request as failed and answers with the operation's error.
   */
  async decide(who: Principal, id: string, input: { decision: 'approve' | 'reject'; reason?: string | undefined }, now = Date.now()): Promise<ApprovalView> {
    const r = await this.load(who, id);
    const kind = r.kind as ApprovalKind;
    const reason = input.reason?.trim() || null;
    if (r.state !== 'pending') throw new HubError('APPROVAL_DECIDED', `approval ${id} is ${r.state} already`, { state: r.state });
    try {
      checkDecider(who, { kind, requestedBy: r.requested_by, id });
    } catch (e) {
      if (isHubError(e) && e.code === 'APPROVAL_SELF') {
        await this.db.transaction((tx) =>
          appendAudit(tx, this.keyring, who, { action: 'approval.self_refused', targetType: 'approval', targetId: id, detail: { kind, decision: input.decision } }, now),
        );
      }
      throw e;
    }
    if (Number(r.requested_at) + this.settings.ttlHours * 3_600_000 <= now) {
      await this.db.transaction(async (tx) => {
        await this.close(who, id, 'expired', null, null, now, tx);
        await appendAudit(tx, this.keyring, who, { action: 'approval.expired', targetType: 'approval', targetId: id, detail: { kind } }, now);
      });
      throw new HubError('APPROVAL_EXPIRED', `approval ${id} expired (requests stay open ${this.settings.ttlHours} h); ask for it again`);
    }
    const payload = JSON.parse(r.payload) as Record<string, unknown>;
    const audit = (tx: Tx, action: string, detail: Record<string, unknown>) =>
      appendAudit(
        tx,
        this.keyring,
        who,
        { action, targetType: 'approval', targetId: id, before: { state: 'pending' }, after: { state: detail.state }, detail: { kind, target: `${r.target_type}:${r.target_id ?? ''}`, requestedBy: r.requested_by_name, reason, ...detail } },
        now,
      );
    if (input.decision === 'reject') {
      await this.db.transaction(async (tx) => {
        await this.close(who, id, 'rejected', reason, null, now, tx);
        await audit(tx, 'approval.reject', { state: 'rejected' });
      });
      return this.get(who, id);
    }
    try {
      await this.db.transaction(async (tx) => {
        // Claim first: of two deciders at once, one runs the operation and the other gets APPROVAL_DECIDED.
        await this.close(who, id, 'approved', reason, null, now, tx);
        const result = await this.executor(kind).apply(tx, who, payload, { approvalId: id, requestedBy: r.requested_by_name }, now);
        await tx.run('UPDATE approvals SET result = ? WHERE id = ?', [JSON.stringify(result ?? null), id]);
        await audit(tx, 'approval.approve', { state: 'approved' });
      });
    } catch (e) {
      if (!isHubError(e) || e.code === 'APPROVAL_DECIDED') throw e;
      await this.db.transaction(async (tx) => {
        await this.close(who, id, 'failed', reason, { error: { code: e.code, message: e.message } }, now, tx);
        await audit(tx, 'approval.failed', { state: 'failed', error: e.code });
      });
      throw new HubError(e.code, `approval ${id} could not be carried out: ${e.message}. It is closed as failed; request it again if it is still wanted`, {
        approval: id,
        ...(typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : {}),
      });
    }
    return this.get(who, id);
  }

  /** The requester takes back a pending request. */
  async withdraw(who: Principal, id: string, now = Date.now()): Promise<ApprovalView> {
    const r = await this.load(who, id);
    if (r.requested_by !== actorKey(who)) throw new HubError('FORBIDDEN', `only ${r.requested_by_name}, who asked, can withdraw approval ${id}`);
    if (r.state !== 'pending') throw new HubError('APPROVAL_DECIDED', `approval ${id} is ${r.state} already`, { state: r.state });
    await this.db.transaction(async (tx) => {
      await this.close(who, id, 'withdrawn', null, null, now, tx);
      await appendAudit(tx, this.keyring, who, { action: 'approval.withdraw', targetType: 'approval', targetId: id, detail: { kind: r.kind } }, now);
    });
    return this.get(who, id);
  }
}
