// What a pull run is, for the poller that makes it and the use cases that record and show it.
import type { Lease } from '../../platform/jobs/leases.ts';

/** One pull run as the poller saw it, with the pull state it leaves behind. */
export interface PullRunRecord {
  tenantId: string;
  accountId: string;
  platform: string;
  startedAt: number;
  finishedAt: number;
  windowFrom: number;
  windowTo: number;
  pages: number;
  fetched: number;
  created: number;
  updated: number;
  recovered: number;
  errorCode: string | null;
  error: string | null;
  rateLimited: boolean;
  /** The state after the run: orders modified before `watermark` have been pulled. */
  watermark: number;
  nextRunAt: number;
  failures: number;
  /** The lease the run held (`pull:<account id>`): its record commits only while that lease is still held. */
  lease?: Lease | undefined;
}

/** A pulled version the hub did not have yet (newer than what pushes brought): "recovered by polling". */
export const recoveredOutcomes: readonly string[] = ['created', 'updated', 'unchanged'];
