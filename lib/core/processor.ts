import { EventEmitter } from 'node:events';

import type { ConsumerSettings, StreamEntry } from './consumer.js';
import { decideOnFailure, describeError, withTimeout } from './failure-policy.js';
import { Job } from './job.js';
import { queueKeys } from './keys.js';
import { QueueRunner, type Outcome } from './queue-runner.js';
import { Janitor, type RetentionOptions } from './retention.js';
import type { HandlerOptions, JobOptions, RedisClient } from './types.js';
import { toJson } from './json.js';
import { settlesWithin } from './wait.js';

export interface ProcessorOptions {
  /** Command connection. Each consumed queue opens one more, for blocking reads. */
  db: RedisClient;
  /** Key prefix. Default `remq`. */
  prefix?: string;
  /** How queues are read; `concurrency` is the default per queue. */
  consumer?: ConsumerSettings;
  /** Runs one attempt of a job; what it returns is stored with the completed job. */
  handler: (job: Job) => unknown;
  /**
   * The handler-side policy of a job (retries, backoff, timeout), under the
   * job's own options. Default: none, so a failed attempt is final.
   */
  policy?: (job: Job) => HandlerOptions | undefined;
  /** Called when a job that belongs to a repeat schedule starts. */
  onScheduledRun?: (job: Job, scheduleKey: string) => Promise<void>;
  /** Retention of finished job records. */
  retention?: RetentionOptions;
  /** Largest handler result stored, in bytes of JSON. Default 512 KiB. */
  maxResultBytes?: number;
}

/** Why an entry was dead-lettered, as reported by the `dead-lettered` event. */
export interface DeadLetter {
  queue: string;
  entryId: string;
  jobId?: string;
  reason: string;
}

const EMPTY_OPTIONS: JobOptions = Object.freeze({});

function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * Wraps a `Consumer` per queue with the job life cycle and its policies:
 * strict priority, delays, retries with backoff, attempt timeouts, and the
 * dead-letter queue. Jobs are marked processing, and their outcomes recorded
 * and acknowledged, in one script call per batch.
 *
 * Events: `active` (job), `completed` (job, result), `failed` (job, error),
 * `retrying` (job, error, delayMs), `dead-lettered` (DeadLetter), `error`.
 */
export class Processor extends EventEmitter {
  readonly prefix: string;
  private readonly runners = new Map<string, QueueRunner>();
  private readonly janitor: Janitor;
  private readonly maxResultBytes: number;
  private started = false;

  constructor(private readonly options: ProcessorOptions) {
    super();
    this.prefix = options.prefix ?? 'remq';
    this.maxResultBytes = options.maxResultBytes ?? 512 * 1024;
    this.janitor = new Janitor(options.db, options.retention, (error) =>
      this.fail(error),
    );
  }

  /** Queues being consumed. */
  get queues(): string[] {
    return [...this.runners.keys()];
  }

  /** Jobs running in this process now, or whose outcome is being recorded. */
  get active(): number {
    let active = 0;
    for (const runner of this.runners.values()) active += runner.active;
    return active;
  }

  /**
   * Consumes `queue` from now on (at `start` if not started yet). Adding a
   * queue twice keeps the larger concurrency.
   */
  async addQueue(
    queue: string,
    { concurrency }: { concurrency?: number } = {},
  ): Promise<void> {
    const existing = this.runners.get(queue);
    const wanted = concurrency ?? this.options.consumer?.concurrency ?? 1;
    if (existing) {
      if (wanted <= existing.consumer.concurrency) return;
      await existing.stop(10_000);
    }

    const runner: QueueRunner = new QueueRunner(
      this.options.db,
      queueKeys(this.prefix, queue),
      { ...this.options.consumer, concurrency: wanted },
      (entry): Promise<void> => this.handleEntry(runner, entry),
      (entry, deliveries) => {
        const jobId = fieldValue(entry.fields, 'j') ?? '';
        const max = this.options.consumer?.claim?.maxDeliveries ?? 5;
        const reason = `delivered ${deliveries} times (claim.maxDeliveries is ${max})`;
        return this.deadLetter(runner, entry, jobId, reason, '');
      },
      this.janitor,
    );
    runner.consumer.on('error', (error: unknown) => this.fail(error));
    runner.onError = (error) => this.fail(error);
    this.runners.set(queue, runner);
    if (this.started) await runner.consumer.start();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all(
      [...this.runners.values()].map((runner) => runner.consumer.start()),
    );
  }

  /** Stops every queue's consumer; in-flight jobs get up to `timeoutMs` to finish. */
  async stop({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    this.started = false;
    const deadline = Date.now() + timeoutMs;
    await Promise.all([...this.runners.values()].map((runner) => runner.stop(timeoutMs)));
    // Retention trims the last outcomes started, so none runs on after stop.
    await settlesWithin(this.janitor.idle(), deadline - Date.now());
  }

  private async handleEntry(runner: QueueRunner, entry: StreamEntry): Promise<void> {
    const jobId = fieldValue(entry.fields, 'j');
    if (!jobId) {
      const signal = fieldValue(entry.fields, 'w');
      if (signal)
        return runner.onSignal(entry, signal, Number(fieldValue(entry.fields, 'at')));
      const detail = JSON.stringify(entry.fields);
      return this.deadLetter(runner, entry, '', 'entry has no job id (field j)', detail);
    }

    const row = await runner.activation(entry, jobId);
    if (row === null) {
      return this.deadLetter(runner, entry, jobId, `job ${jobId} has no record`, '');
    }
    if (row.length === 1) {
      await this.settle(runner, { kind: 'a', entry, jobId: '' });
      return;
    }

    const [, event, data, opts, attempt, createdAt, priority, schedule] = row;
    if (!event)
      return this.deadLetter(runner, entry, jobId, `job ${jobId} has no event`, '');
    if (
      data.length > this.maxResultBytes / 3 &&
      Buffer.byteLength(data) > this.maxResultBytes
    ) {
      const bytes = Buffer.byteLength(data);
      const why = `job ${jobId} data is ${bytes} bytes, over the cap of ${this.maxResultBytes}`;
      return this.deadLetter(runner, entry, jobId, why, '');
    }
    let job: Job;
    try {
      job = new Job(
        jobId,
        runner.keys.queue,
        event,
        data === '' ? undefined : JSON.parse(data),
        Number(attempt),
        Number(priority),
        new Date(Number(createdAt)),
        opts === '' ? EMPTY_OPTIONS : JSON.parse(opts),
        this.options.db,
        runner.keys,
      );
    } catch (error) {
      const why = `job ${jobId} could not be decoded: ${describeError(error).message}`;
      return this.deadLetter(runner, entry, jobId, why, '');
    }

    if (schedule !== '' && this.options.onScheduledRun) {
      await this.options.onScheduledRun(job, schedule).catch((error) => this.fail(error));
    }
    this.emit('active', job);
    const handlerPolicy = this.options.policy?.(job) ?? EMPTY_OPTIONS;
    const policy =
      job.options === EMPTY_OPTIONS
        ? handlerPolicy
        : { ...handlerPolicy, ...job.options };
    let result: unknown;
    let text: string;
    try {
      result = await withTimeout(() => this.options.handler(job), policy.timeoutMs);
      text = toJson('result', result, this.maxResultBytes) ?? '';
    } catch (error) {
      return this.settleFailure(runner, entry, job, policy, error);
    }

    // The slot frees as soon as the handler is done, so the next read overlaps
    // with recording this outcome; the entry stays pending until it is recorded.
    runner.track(
      this.settle(runner, { kind: 'c', entry, jobId, text, attempt: job.attempt }).then(
        (recorded) => {
          if (recorded) this.emit('completed', job, result);
        },
      ),
    );
  }

  private async settleFailure(
    runner: QueueRunner,
    entry: StreamEntry,
    job: Job,
    policy: HandlerOptions,
    error: unknown,
  ): Promise<void> {
    const { message, stack } = describeError(error);
    const decision = decideOnFailure(policy, job.attempt, error);
    if (decision.retry) {
      const dueAt = decision.delayMs > 0 ? Date.now() + decision.delayMs : 0;
      const recorded = await this.settle(runner, {
        kind: 'r',
        entry,
        jobId: job.id,
        text: message,
        detail: stack,
        dueAt,
        attempt: job.attempt,
      });
      if (recorded) this.emit('retrying', job, error, decision.delayMs);
      return;
    }

    const recorded = await this.settle(runner, {
      kind: 'f',
      entry,
      jobId: job.id,
      text: message,
      detail: stack,
      attempt: job.attempt,
    });
    if (!recorded) return;
    this.emit('failed', job, error);
    const letter: DeadLetter = {
      queue: job.queue,
      entryId: entry.id,
      jobId: job.id,
      reason: 'failed',
    };
    this.emit('dead-lettered', letter);
  }

  private async deadLetter(
    runner: QueueRunner,
    entry: StreamEntry,
    jobId: string,
    reason: string,
    detail: string,
  ): Promise<void> {
    const recorded = await this.settle(runner, {
      kind: 'b',
      entry,
      jobId,
      text: reason,
      detail,
    });
    if (!recorded) return;
    const letter: DeadLetter = {
      queue: runner.keys.queue,
      entryId: entry.id,
      jobId: jobId || undefined,
      reason,
    };
    this.emit('dead-lettered', letter);
  }

  private settle(
    runner: QueueRunner,
    outcome: Pick<Outcome, 'kind' | 'entry' | 'jobId'> & Partial<Outcome>,
  ): Promise<boolean> {
    return runner.finish.add({ text: '', detail: '', dueAt: 0, attempt: 0, ...outcome });
  }

  private fail(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.emitWarning(error instanceof Error ? error : String(error));
  }
}
