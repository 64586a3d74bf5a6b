import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';

import { TaskManager } from '../core/index.js';
import { REMQ_OPTIONS } from './remq.constants.js';
import type { RemqModuleOptions } from './remq-options.interface.js';

/** Starts the consumers once the app is up, and stops them first on shutdown. */
@Injectable()
export class RemqWorkers implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(REMQ_OPTIONS) private readonly options: RemqModuleOptions,
    private readonly tasks: TaskManager,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.autoStart !== false) await this.tasks.start();
  }

  /** In-flight jobs get `shutdownTimeoutMs`; what does not finish stays pending. */
  async onModuleDestroy(): Promise<void> {
    await this.tasks.stop({ timeoutMs: this.options.shutdownTimeoutMs ?? 10_000 });
  }
}

/**
 * Holds the consumers' start and stop apart from the global RemqModule.
 * NOTE: Nest bootstraps modules from the largest distance to the root down
 * and destroys them in the reverse order, so a global module (distance MAX)
 * would stop its consumers after every other module tore down. This module
 * sets its distance to 0: it bootstraps after every module and is destroyed
 * before any, so jobs start last and stop first, while the providers they use
 * are still up. The connection closes last, from RemqModule.
 */
@Module({ providers: [RemqWorkers] })
export class RemqWorkersModule {
  constructor(modules: ModulesContainer) {
    for (const module of modules.values()) {
      if (module.metatype === RemqWorkersModule) module.distance = 0;
    }
  }
}
