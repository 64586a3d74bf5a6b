import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, ExternalContextCreator, MetadataScanner } from '@nestjs/core';

import { TaskManager } from '../core/index.js';
import type { OnJobMetadata } from './on-job.decorator.js';
import { ON_JOB_METADATA, REMQ_CONTEXT_TYPE } from './remq.constants.js';
import { messages } from './remq.messages.js';

type Method = (...args: unknown[]) => unknown;

/**
 * Whether a handler or its class declares `@UseFilters`. NOTE: without its
 * own filters a handler runs with none, because Nest's fallback filter for
 * external contexts would log every failed attempt (retries included) as an
 * error; failures are reported by the queue's own events instead.
 */
function declaresFilters(instance: object, method: unknown): boolean {
  return (
    Reflect.hasMetadata(EXCEPTION_FILTERS_METADATA, method as object) ||
    Reflect.hasMetadata(EXCEPTION_FILTERS_METADATA, instance.constructor)
  );
}

/**
 * Finds every `@OnJob` method on providers and controllers and registers it
 * with the TaskManager. Each handler runs through Nest's context machinery,
 * so guards, interceptors and exception filters apply to jobs (context type
 * `remq`, arguments `(job, ctx)`).
 */
@Injectable()
export class JobExplorer implements OnModuleInit {
  private readonly logger = new Logger('RemqModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly contextCreator: ExternalContextCreator,
    private readonly tasks: TaskManager,
  ) {}

  async onModuleInit(): Promise<void> {
    const wrappers = [
      ...this.discovery.getProviders(),
      ...this.discovery.getControllers(),
    ];
    for (const wrapper of wrappers) {
      // NOTE: useValue and useFactory providers have no metatype; their
      // instance's prototype still carries the decorated methods.
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;

      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[name];
        if (typeof method !== 'function') continue;
        const jobs = Reflect.getMetadata(ON_JOB_METADATA, method) as
          OnJobMetadata[] | undefined;
        if (!jobs) continue;
        const className = instance.constructor.name;
        if (!wrapper.isDependencyTreeStatic()) {
          this.logger.warn(messages.requestScoped(className, name));
          continue;
        }
        const handler = this.contextCreator.create(
          instance,
          method as Method,
          name,
          undefined,
          undefined,
          undefined,
          undefined,
          {
            guards: true,
            interceptors: true,
            filters: declaresFilters(instance, method),
          },
          REMQ_CONTEXT_TYPE,
        );
        for (const { event, queue, options } of jobs) {
          await this.tasks.registerHandler({ event, queue, options, handler });
          this.logger.log(
            messages.registered(queue ?? 'default', event, `${className}.${name}`),
          );
        }
      }
    }
  }
}
