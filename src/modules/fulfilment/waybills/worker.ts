// Gives back the waybill numbers the hub owes (parcels stopped, cancels that failed): after the commit that owed them,
// retried with back-off; and asks again for the numbers a network said to come back for (Shopee gives its number a
// while after the shipment is arranged). Runs where writes run (the writer thread on SQLite).
import type { Logger } from '../../../platform/log.ts';
import { JobRunner } from '../../../platform/jobs/runner.ts';
import type { WaybillService } from './service.ts';

export class WaybillWorker {
  private readonly runner: JobRunner;

  constructor(
    private readonly service: Pick<WaybillService, 'cancelDue' | 'fillDue'>,
    log: Logger,
    pollMs: number,
  ) {
    this.runner = new JobRunner(log);
    this.runner.add({ name: 'waybill-cancels', failureMessage: 'waybill cancel pass failed', everyMs: pollMs, run: async () => void (await service.cancelDue()) });
    this.runner.add({ name: 'waybill-numbers', failureMessage: 'waybill number pass failed', everyMs: pollMs, run: async () => void (await service.fillDue()) });
  }

  /** One pass of each, at `now` (tests step the clock instead of waiting for a network's delay). */
  async runDue(now = Date.now()): Promise<{ cancelled: number; filled: number }> {
    return { cancelled: await this.service.cancelDue(now), filled: await this.service.fillDue(now) };
  }

  start(): void {
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }
}
