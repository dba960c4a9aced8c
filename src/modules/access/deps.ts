// What the access module's use cases are given, built once by their services (people.ts, approvals.ts).
import type { ApprovalKind } from './domain/approvals.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { ApprovalService } from './approvals.ts';

export interface PeopleSettings {
  sessionHours: number;
  lockoutThreshold: number;
  lockoutMinutes: number;
}

export interface PeopleDeps {
  db: Database;
  keyring: Keyring;
  /** Deleting a user may wait for a second person. */
  approvals: ApprovalService;
  settings: PeopleSettings;
}

export interface ApprovalSettings {
  /** The kinds that wait for a second person; the others run at once. */
  required: readonly ApprovalKind[];
  /** Hours a request stays open before it expires. */
  ttlHours: number;
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

export interface ApprovalDeps {
  db: Database;
  keyring: Keyring;
  settings: ApprovalSettings;
  /** What runs each kind once approved: registered by the composition root (hub.ts) after the services exist. */
  executors: Map<ApprovalKind, ApprovalExecutor>;
}
