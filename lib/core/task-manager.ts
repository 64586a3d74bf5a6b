import { EventEmitter } from 'node:events';

import { RemqAdmin } from './admin.js';
import type { ConsumerSettings } from './consumer.js';
import { RemqError, UnrecoverableError, ValidationError } from './errors.js';
import { newJobId } from './ids.js';
import type { Job } from './job.js';
import { queueKeys, queuesKey } from './keys.js';
import { Processor, type DeadLetter } from './processor.js';
import type { RetentionOptions } from './retention.js';
import { scripts } from './scripts/index.js';
import { checkHasRun, RepeatScheduler } from './scheduler.js';
import { checkSettings } from './settings.js';
import type { HandlerOptions, JobOptions, RedisClient, RepeatOptions } from './types.js';
import { debounceOf } from './debounce.js';
import {
  checkHandlerOptions,
  checkJobOptions,
  checkName,
  toJson,
  toTime,
} from './validate.js';

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
  options: HandlerOptions;
}

/** The job has an event no handler is registered for in this process. */
export class NoHandlerError extends UnrecoverableError {
  override name = 'NoHandlerError';
}

interface Prepared {
  id: string;
  queue: string;
  event: string;
  data: string;
  options: string;
  priority: number;
  /** Epoch ms the job is delayed until; 0 for now. */
  dueAt: number;
  debounce?: { mode: 't' | 'd'; windowMs: number; key: string };
  /** Emitted with a schedule: registered as one instead of stored as a job. */
  repeat?: RepeatOptions;
}

/** Tries of one emit whose debounce key keeps changing under it. */
const DEBOUNCE_TRIES = 10;

const DEFAULT_QUEUE = 'default';

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
  private readonly knownQueues = new Set<string>();
  private readonly maxDataBytes: number;
  private readonly ctx: HandlerContext<C>;
  private readonly scheduler: RepeatScheduler;

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
      options,
    });
    await this.rememberQueue(queue);
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
    const [id] = await this.store([input as EmitInput], false);
    return id;
  }

  /** Stores many jobs: one script call per queue per thousand jobs, sent together. */
  async emitBulk(inputs: EmitInput[]): Promise<string[]> {
    if (!Array.isArray(inputs)) throw new ValidationError('jobs', 'must be an array');
    return this.store(inputs, true);
  }

  /** Validates every job, then stores them; `bulk` names fields `jobs[i].…`. */
  private async store(inputs: EmitInput[], bulk: boolean): Promise<string[]> {
    const now = Date.now();
    const prepared = inputs.map((input, i) =>
      this.prepare(input, bulk ? `jobs[${i}].` : '', now),
    );

    const byQueue = new Map<string, Prepared[]>();
    for (const job of prepared) {
      const list = byQueue.get(job.queue) ?? [];
      list.push(job);
      byQueue.set(job.queue, list);
    }

    const stored = new Map<Prepared, string>();
    await Promise.all(
      [...byQueue].map(async ([queue, jobs]) => {
        await this.rememberQueue(queue);
        for (const job of jobs.filter((one) => one.repeat)) {
          stored.set(job, await this.registerSchedule(job));
        }
        const plain = jobs.filter((one) => !one.repeat);
        for (let i = 0; i < plain.length; i += 1000) {
          const chunk = plain.slice(i, i + 1000);
          const ids = await this.add(queue, chunk);
          chunk.forEach((job, j) => stored.set(job, ids[j]));
        }
      }),
    );
    return prepared.map((job) => stored.get(job) ?? job.id);
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

  private prepare(input: EmitInput, at: string, now: number): Prepared {
    if (typeof input !== 'object' || input === null) {
      throw new ValidationError(
        at || 'input',
        'must be an object { event, queue, data, options }',
      );
    }
    for (const name of Object.keys(input)) {
      if (!['event', 'queue', 'data', 'options'].includes(name)) {
        throw new ValidationError(`${at}${name}`, 'is not an emit field');
      }
    }
    const event = checkName(`${at}event`, input.event);
    const queue = checkName(`${at}queue`, input.queue ?? DEFAULT_QUEUE);
    const options = checkJobOptions(`${at}options`, input.options);
    if (typeof options.backoff === 'function') {
      throw new ValidationError(
        `${at}options.backoff`,
        'cannot be a function on emit (it cannot be stored with the job); ' +
          'set it on the handler instead',
      );
    }
    const data = toJson(`${at}data`, input.data, this.maxDataBytes) ?? '';
    if (options.repeat) checkHasRun(`${at}options.repeat`, options.repeat);

    const { id, priority, delayUntil, delayMs, debounce, repeat, ...stored } = {
      ...this.emitDefaults(queue, event),
      ...options,
    };
    let dueAt =
      delayUntil !== undefined ? toTime(`${at}options.delayUntil`, delayUntil) : 0;
    if (delayMs !== undefined) dueAt = Math.max(dueAt, now + delayMs);
    const window = debounceOf(debounce, event, data);
    if (window?.mode === 'd') dueAt = Math.max(dueAt, now + window.windowMs);

    return {
      id: id ?? newJobId(),
      queue,
      event,
      data,
      options: Object.keys(stored).length === 0 ? '' : JSON.stringify(stored),
      priority: priority ?? 0,
      dueAt: dueAt > now ? dueAt : 0,
      debounce: window,
      repeat,
    };
  }

  private registerSchedule(job: Prepared): Promise<string> {
    const options = job.options === '' ? {} : (JSON.parse(job.options) as JobOptions);
    const repeat = job.repeat as RepeatOptions;
    return this.scheduler.register(
      job.queue,
      job.event,
      job.data,
      {
        ...options,
        priority: job.priority,
      },
      repeat,
      'emit',
    );
  }

  /** Handler options that act at emit time, when this process has the handler. */
  private emitDefaults(queue: string, event: string): JobOptions {
    const { priority, delayMs, debounce } = this.policyOf(queue, event);
    return { priority, delayMs, debounce };
  }

  /** A handler's options over the TaskManager's defaults. */
  private policyOf(queue: string, event: string): HandlerOptions {
    const registered = this.handlers.get(`${queue}\u0000${event}`);
    return { ...this.options.defaults, ...registered?.options };
  }

  /** Stores jobs of one queue; resolves with the id standing for each. */
  private async add(queue: string, jobs: Prepared[]): Promise<string[]> {
    const keys = queueKeys(this.prefix, queue);
    const ids: string[] = new Array(jobs.length);
    let todo = jobs.map((job, i) => ({ job, i }));

    for (let attempt = 0; todo.length > 0; attempt += 1) {
      if (attempt === DEBOUNCE_TRIES) {
        throw new RemqError(`debounce key of event '${todo[0].job.event}' kept changing`);
      }
      // Which job each debounce key holds now; the script checks it still does.
      const seen = await Promise.all(
        todo.map(({ job }) =>
          job.debounce ? this.db.get(keys.debounce(job.debounce.key)) : null,
        ),
      );

      const jobKeys: string[] = [];
      const args: (string | number)[] = [Date.now()];
      todo.forEach(({ job }, j) => {
        const held = seen[j] ?? '';
        jobKeys.push(
          keys.job(job.id),
          keys.logs(job.id),
          job.debounce ? keys.debounce(job.debounce.key) : keys.meta,
          held ? keys.job(held) : keys.meta,
        );
        args.push(job.id, job.event, job.data, job.options, job.priority, job.dueAt);
        args.push(job.debounce?.mode ?? '', job.debounce?.windowMs ?? 0, held);
      });

      const results = await scripts.addJobs.run<(string | null)[]>(
        this.db,
        [
          keys.stream,
          keys.lane,
          keys.prioritized,
          keys.delayed,
          keys.meta,
          keys.completed,
          keys.failed,
          ...jobKeys,
        ],
        args,
      );
      const again: typeof todo = [];
      todo.forEach((item, j) => {
        const id = results[j];
        if (id === null) again.push(item);
        else ids[item.i] = id;
      });
      todo = again;
    }
    return ids;
  }

  private async rememberQueue(queue: string): Promise<void> {
    if (this.knownQueues.has(queue)) return;
    await this.db.sadd(queuesKey(this.prefix), queue);
    this.knownQueues.add(queue);
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
