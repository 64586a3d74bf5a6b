import type {
  InjectionToken,
  ModuleMetadata,
  OptionalFactoryDependency,
  Type,
} from '@nestjs/common';
import type { RedisOptions } from 'ioredis';

import type { RedisClient, TaskManagerOptions } from '../core/index.js';

/** Options of `RemqModule.forRoot`. */
export interface RemqModuleOptions extends Omit<TaskManagerOptions, 'db'> {
  /**
   * A Redis URL, ioredis connection options, or a ready ioredis `Redis` or
   * `Cluster`. From a URL or options the module opens the connection and
   * closes it on shutdown; a ready client is left for its owner to close.
   */
  connection: string | RedisOptions | RedisClient;
  /**
   * Start consuming once the application has bootstrapped. Default true; set
   * false for producer-only apps, or to call `TaskManager.start()` yourself.
   */
  autoStart?: boolean;
  /** How long shutdown waits for jobs in flight, in ms. Default 10,000. */
  shutdownTimeoutMs?: number;
}

/** A class that builds the module's options, for `forRootAsync({ useClass })`. */
export interface RemqOptionsFactory {
  createRemqOptions(): RemqModuleOptions | Promise<RemqModuleOptions>;
}

/** Options of `RemqModule.forRootAsync`: exactly one of the `use…` fields. */
export interface RemqModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory?: (...args: never[]) => RemqModuleOptions | Promise<RemqModuleOptions>;
  useClass?: Type<RemqOptionsFactory>;
  useExisting?: Type<RemqOptionsFactory>;
}
