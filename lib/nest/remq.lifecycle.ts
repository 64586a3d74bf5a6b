import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';

import { TaskManager, type DeadLetter, type Job } from '../core/index.js';
import { RemqConnection } from './remq-connection.js';
import { REMQ_CONNECTION } from './remq.constants.js';

/**
 * Logs the TaskManager's failures through Nest's Logger, and closes the
 * connection the module opened, last of all (RemqModule is global, so Nest
 * shuts it down after every other module). Consumers start and stop in
 * RemqWorkersModule.
 */
@Injectable()
export class RemqLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('RemqModule');

  constructor(
    @Inject(REMQ_CONNECTION) private readonly connection: RemqConnection,
    tasks: TaskManager,
  ) {
    if (connection.owned) this.logConnectionErrors();
    tasks.on('error', (error: unknown) => this.logger.error(describe(error)));
    tasks.on('failed', (job: Job, error: unknown) =>
      this.logger.warn(
        `queue=${job.queue} job=${job.id} event=${job.event} failed: ${describe(error)}`,
      ),
    );
    tasks.on('dead-lettered', ({ queue, jobId, entryId, reason }: DeadLetter) =>
      this.logger.warn(
        `queue=${queue} job=${jobId ?? '-'} entry=${entryId} dead-lettered: ${reason}`,
      ),
    );
  }

  /**
   * The module opened this connection, so it owns its error events: each
   * distinct error is logged once until the connection is ready again.
   */
  private logConnectionErrors(): void {
    let last = '';
    this.connection.db.on('ready', () => (last = ''));
    this.connection.db.on('error', (error: unknown) => {
      const message = describe(error);
      if (message === last) return;
      last = message;
      this.logger.error(`Redis connection: ${message}`);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
