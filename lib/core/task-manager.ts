import { EventEmitter } from 'node:events';

import { RemqAdmin } from './admin.js';
import type { ConsumerSettings } from './consumer.js';
import { RemqError, UnrecoverableError, ValidationError } from './errors.js';
import type { Job } from './job.js';
import { JobWriter } from './job-writer.js';
import { DEFAULT_QUEUE } from './keys.js';
import { Processor, type DeadLetter } from './processor.js';
import type { RetentionOptions } from './retention.js';
import { checkHasRun, RepeatScheduler } from './scheduler.js';
import { checkSettings } from './settings.js';
import type { HandlerOptions, JobOptions, RedisClient } from './types.js';
import { checkHandlerOptions, checkName } from './validate.js';

export interface TaskManagerOptions<C extends object = object> {
  /** An ioredis `Redis` (standalone or Sentinel) or `Cluster`; the caller closes it. */
  db: RedisClient;
  /** Prefix of every key. Default `remq`. */
  prefix?: string;
  /** Merged into every handler's context. */
  ctx?: C;
  /** How queues are read; `concurrency` (default 1) applies per queue. */
  consumer?: ConsumerSettings;
  /** Defaults for every handler, under its own options. */
  defaults?: HandlerOptions;
  /** Retention of finished job records. */
  retention?: RetentionOptions;
  /** Largest job data or result, in bytes of JSON. Default 512 KiB. */
  maxDataBytes?: number;
}

/** Lifecycle events of a TaskManager (and its Processor), with their arguments. */
export interface TaskManagerEvents {
  active: [job: Job];
  completed: [job: Job, result: unknown];
  failed: [job: Job, error: unknown];
  /** A failed attempt will be retried after `delayMs`. */
  retrying: [job: Job, error: unknown, delayMs: number];
  'dead-lettered': [letter: DeadLetter];
  error: [error: unknown];
}

type Listener<E extends keyof TaskManagerEvents> = (
  ...args: TaskManagerEvents[E]
) => void;

const NO_OPTIONS: HandlerOptions = Object.freeze({});

const LIFECYCLE_EVENTS: (keyof TaskManagerEvents)[] = [
  'active',
  'completed',
  'failed',
  'retrying',
  'dead-lettered',
  'error',
];

/** What `emit` takes. */
export interface EmitInput<T = unknown> {
  event: string;
  /** Default `default`. */
  queue?: string;
  data?: T;
  options?: JobOptions;
}

/** A handler's context: the `ctx` given to `init`, plus a way to emit jobs. */
export type HandlerContext<C extends object = object> = C & {
  emit: <T>(input: EmitInput<T>) => Promise<string>;
  emitBulk: (inputs: EmitInput[]) => Promise<string[]>;
};

export type Handler<T = unknown, C extends object = object> = (
  job: Job<T>,
  ctx: HandlerContext<C>,
) => unknown;

export interface RegisterInput<T = unknown, C extends object = object> {
  event: string;
  /** Default `default`. */
  queue?: string;
  handler: Handler<T, C>;
  options?: HandlerOptions;
}

interface Registered {
  handler: Handler<never, object>;
  /** The handler's options over the TaskManager's defaults, merged once. */
  policy: HandlerOptions;
}

/** The job has an event no handler is registered for in this process. */
export class NoHandlerError extends UnrecoverableError {
  override name = 'NoHandlerError';
}

/**
 * Emits jobs to queues and runs the handlers registered for them. Built on
 * `Processor` (and so on `Consumer`); `admin` reads queues and jobs.
 *
 * Events: `active` (job), `completed` (job, result), `failed` (job, error),
 * `dead-lettered` (DeadLetter), `error` (error).
 */
export class TaskManager<C extends object = object> {
  readonly prefix: string;
  readonly admin: RemqAdmin;
  readonly processor: Processor;
  private readonly db: RedisClient;
  private readonly handlers = new Map<string, Registered>();
  private readonly maxDataBytes: number;
  private readonly ctx: HandlerContext<C>;
  private readonly scheduler: RepeatScheduler;
  private readonly writer: JobWriter;

  /** A new, independent TaskManager. */
  static init<C extends object = object>(options: TaskManagerOptions<C>): TaskManager<C> {
    return new TaskManager(options);
  }

  private readonly events = new EventEmitter();

  constructor(private readonly options: TaskManagerOptions<C>) {
    checkSettings(options);
    this.db = options.db;
    this.prefix = options.prefix ?? 'remq';
    this.maxDataBytes = options.maxDataBytes ?? 512 * 1024;
    this.admin = new RemqAdmin(this.db, this.prefix);
    this.scheduler = new RepeatScheduler(this.db, this.prefix);
    this.writer = new JobWriter(
      this.db,
      this.prefix,
      this.maxDataBytes,
      this.scheduler,
      (queue, event) => this.policyOf(queue, event),
    );
    this.ctx = {
      ...options.ctx,
      emit: (input) => this.emit(input),
      emitBulk: (inputs) => this.emitBulk(inputs),
    } as HandlerContext<C>;

    this.processor = new Processor({
      db: this.db,
      prefix: this.prefix,
      consumer: options.consumer,
      retention: options.retention,
      maxResultBytes: this.maxDataBytes,
      handler: (job) => this.route(job),
      policy: (job) => this.policyOf(job.queue, job.event),
      onScheduledRun: (job, schedule) =>
        this.scheduler.advance(job.queue, job.id, schedule),
    });
    for (const event of LIFECYCLE_EVENTS) {
      this.processor.on(event, (...args: unknown[]) => this.emitEvent(event, ...args));
    }
  }

  /** Listens to a lifecycle event. */
  on<E extends keyof TaskManagerEvents>(event: E, listener: Listener<E>): this {
    this.events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Listens to the next occurrence of a lifecycle event. */
  once<E extends keyof TaskManagerEvents>(event: E, listener: Listener<E>): this {
    this.events.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof TaskManagerEvents>(event: E, listener: Listener<E>): this {
    this.events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount(event: keyof TaskManagerEvents): number {
    return this.events.listenerCount(event);
  }

  /**
   * Registers the handler of one event on one queue. Registering after
   * `start` begins consuming that queue at once.
   */
  async registerHandler<T = unknown>(input: RegisterInput<T, C>): Promise<void> {
    const event = checkName('event', input?.event);
    const queue = checkName('queue', input.queue ?? DEFAULT_QUEUE);
    if (typeof input.handler !== 'function') {
      throw new ValidationError('handler', 'must be a function');
    }
    const options = checkHandlerOptions('options', input.options);
    if (options.repeat) checkHasRun('options.repeat', options.repeat);
    const key = `${queue}\u0000${event}`;
    if (this.handlers.has(key)) {
      throw new RemqError(
        `a handler for event '${event}' on queue '${queue}' is already registered`,
      );
    }

    this.handlers.set(key, {
      handler: input.handler as unknown as Handler<never, object>,
      policy: { ...this.options.defaults, ...options },
    });
    await this.writer.rememberQueue(queue);
    const concurrency = options.concurrency ?? this.options.defaults?.concurrency;
    await this.processor.addQueue(queue, { concurrency });
    if (options.repeat) {
      const { priority } = options;
      await this.scheduler.register(
        queue,
        event,
        '',
        { priority },
        options.repeat,
        'handler',
      );
    }
  }

  /**
   * Validates and stores one job; resolves with its id once it is in Redis.
   * Rejects with a `ValidationError` naming the field, writing nothing, when
   * the input is invalid.
   */
  async emit<T>(input: EmitInput<T>): Promise<string> {
    const [id] = await this.writer.store([input as EmitInput], false);
    return id;
  }

  /** Stores many jobs: one script call per queue per thousand jobs, sent together. */
  async emitBulk(inputs: EmitInput[]): Promise<string[]> {
    if (!Array.isArray(inputs)) throw new ValidationError('jobs', 'must be an array');
    return this.writer.store(inputs, true);
  }

  /** Starts consuming every queue that has a handler. */
  async start(): Promise<void> {
    await this.processor.start();
  }

  /** Stops consuming; jobs in flight get up to `timeoutMs` to finish. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.processor.stop(options);
  }

  /**
   * Resolves once `queue` has no job waiting, delayed or running, here or
   * elsewhere, checking Redis every `intervalMs`. For tests and scripts.
   */
  async waitUntilIdle(
    queue = DEFAULT_QUEUE,
    { timeoutMs = 30_000, intervalMs = 20 } = {},
  ) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { waiting, delayed, processing } = await this.admin.getQueueStats(queue);
      if (waiting + delayed + processing === 0 && this.processor.active === 0) return;
      if (Date.now() > deadline) {
        throw new RemqError(`queue '${queue}' was not idle within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** A handler's options over the TaskManager's defaults. */
  private policyOf(queue: string, event: string): HandlerOptions {
    const registered = this.handlers.get(`${queue}\u0000${event}`);
    return registered?.policy ?? this.options.defaults ?? NO_OPTIONS;
  }

  private route(job: Job): unknown {
    const registered = this.handlers.get(`${job.queue}\u0000${job.event}`);
    if (!registered) {
      throw new NoHandlerError(
        `no handler for event '${job.event}' on queue '${job.queue}' in this process`,
      );
    }
    return registered.handler(job as Job<never>, this.ctx);
  }

  private emitEvent(event: string, ...args: unknown[]): void {
    if (event === 'error' && this.events.listenerCount('error') === 0) {
      process.emitWarning(args[0] instanceof Error ? args[0] : String(args[0]));
      return;
    }
    this.events.emit(event, ...args);
  }
}
