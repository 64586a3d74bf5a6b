import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';

import { TaskManager, type DeadLetter, type Job } from '../core/index.js';
import { RemqConnection } from './remq-connection.js';
import { REMQ_CONNECTION, REMQ_OPTIONS } from './remq.constants.js';
import type { RemqModuleOptions } from './remq-options.interface.js';

/**
 * Ties the TaskManager to Nest's life cycle: consumers start once the
 * application has bootstrapped; on shutdown they stop first (in-flight jobs
 * get `shutdownTimeoutMs` to finish) and the connection closes last.
 */
@Injectable()
export class RemqLifecycle
  implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  private readonly logger = new Logger('RemqModule');

  constructor(
    @Inject(REMQ_OPTIONS) private readonly options: RemqModuleOptions,
    @Inject(REMQ_CONNECTION) private readonly connection: RemqConnection,
    private readonly tasks: TaskManager,
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

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.autoStart !== false) await this.tasks.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.tasks.stop({ timeoutMs: this.options.shutdownTimeoutMs ?? 10_000 });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
