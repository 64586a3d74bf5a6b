import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';

import { Processor, RemqAdmin, TaskManager } from '../core/index.js';
import { JobExplorer } from './job-explorer.js';
import { RemqConnection } from './remq-connection.js';
import { REMQ_CONNECTION, REMQ_OPTIONS } from './remq.constants.js';
import { RemqLifecycle } from './remq.lifecycle.js';
import { RemqWorkersModule } from './remq-workers.module.js';
import { messages } from './remq.messages.js';
import type {
  RemqModuleAsyncOptions,
  RemqModuleOptions,
  RemqOptionsFactory,
} from './remq-options.interface.js';

const sharedProviders: Provider[] = [
  {
    provide: REMQ_CONNECTION,
    inject: [REMQ_OPTIONS],
    useFactory: (options: RemqModuleOptions) => RemqConnection.from(options.connection),
  },
  {
    provide: TaskManager,
    inject: [REMQ_OPTIONS, REMQ_CONNECTION],
    useFactory: (options: RemqModuleOptions, connection: RemqConnection) => {
      const {
        connection: _url,
        autoStart: _start,
        shutdownTimeoutMs: _timeout,
        ...rest
      } = options;
      return TaskManager.init({ ...rest, db: connection.db });
    },
  },
  {
    provide: Processor,
    inject: [TaskManager],
    useFactory: (tm: TaskManager) => tm.processor,
  },
  {
    provide: RemqAdmin,
    inject: [TaskManager],
    useFactory: (tm: TaskManager) => tm.admin,
  },
  JobExplorer,
  RemqLifecycle,
];

const exported = [TaskManager, Processor, RemqAdmin, REMQ_CONNECTION, REMQ_OPTIONS];

/**
 * The Nest face of REMQ: provides `TaskManager`, `Processor` and `RemqAdmin`
 * to the whole application and wires every `@OnJob` method as a handler.
 */
@Module({})
export class RemqModule {
  static forRoot(options: RemqModuleOptions): DynamicModule {
    return {
      module: RemqModule,
      global: true,
      imports: [DiscoveryModule, RemqWorkersModule],
      providers: [{ provide: REMQ_OPTIONS, useValue: options }, ...sharedProviders],
      exports: exported,
    };
  }

  static forRootAsync(options: RemqModuleAsyncOptions): DynamicModule {
    return {
      module: RemqModule,
      global: true,
      imports: [DiscoveryModule, RemqWorkersModule, ...(options.imports ?? [])],
      providers: [...optionsProviders(options), ...sharedProviders],
      exports: exported,
    };
  }
}

function optionsProviders(options: RemqModuleAsyncOptions): Provider[] {
  if (options.useFactory) {
    return [
      {
        provide: REMQ_OPTIONS,
        useFactory: options.useFactory,
        inject: options.inject ?? [],
      },
    ];
  }
  const factoryClass = options.useClass ?? options.useExisting;
  if (!factoryClass) throw new Error(messages.noUseOption);

  const fromFactory: Provider = {
    provide: REMQ_OPTIONS,
    useFactory: (factory: RemqOptionsFactory) => factory.createRemqOptions(),
    inject: [factoryClass],
  };
  return options.useClass
    ? [fromFactory, { provide: options.useClass, useClass: options.useClass }]
    : [fromFactory];
}
