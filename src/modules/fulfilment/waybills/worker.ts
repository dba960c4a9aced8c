// Gives back the waybill numbers the hub owes (parcels stopped, cancels that failed): after the commit that owed them,
// retried with back-off. Runs where writes run (the writer thread on SQLite).
import type { Logger } from '../../../platform/log.ts';
import { JobRunner } from '../../../platform/jobs/runner.ts';
import type { WaybillService } from './service.ts';

export class WaybillWorker {
  private readonly runner: JobRunner;

  constructor(service: Pick<WaybillService, 'cancelDue'>, log: Logger, pollMs: number) {
    this.runner = new JobRunner(log);
    this.runner.add({ name: 'waybill-cancels', failureMessage: 'waybill cancel pass failed', everyMs: pollMs, run: async () => void (await service.cancelDue()) });
  }

  start(): void {
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }
}
