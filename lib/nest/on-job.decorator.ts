import 'reflect-metadata';

import type { HandlerOptions } from '../core/index.js';
import { ON_JOB_METADATA } from './remq.constants.js';

/** One `@OnJob` on one method. */
export interface OnJobMetadata {
  event: string;
  queue?: string;
  options?: HandlerOptions;
}

/**
 * Makes the decorated provider (or controller) method the handler of `event`
 * on `queue` (default `default`), with `options` as its job defaults and
 * concurrency. The method is called as `(job, ctx)`. A method may carry
 * several `@OnJob`s, and a class several such methods.
 */
export function OnJob(
  event: string,
  queue?: string,
  options?: HandlerOptions,
): MethodDecorator {
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const existing = (Reflect.getMetadata(ON_JOB_METADATA, method) ??
      []) as OnJobMetadata[];
    Reflect.defineMetadata(
      ON_JOB_METADATA,
      [...existing, { event, queue, options }],
      method,
    );
    return descriptor;
  };
}
