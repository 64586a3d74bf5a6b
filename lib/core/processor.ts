import { EventEmitter } from 'node:events';

import { Batcher } from './batcher.js';
import { Consumer, type ConsumerSettings, type StreamEntry } from './consumer.js';
import { Job } from './job.js';
import { GROUP, queueKeys, type QueueKeys } from './keys.js';
import { Janitor, type RetentionOptions } from './retention.js';
import { scripts } from './scripts/index.js';
import type { JobOptions, RedisClient } from './types.js';
import { toJson } from './validate.js';

export interface ProcessorOptions {
  /** Command connection. Each consumed queue opens one more, for blocking reads. */
  db: RedisClient;
  /** Key prefix. Default `remq`. */
  prefix?: string;
  /** How queues are read; `concurrency` is the default per queue. */
  consumer?: ConsumerSettings;
  /** Runs one attempt of a job; what it returns is stored with the completed job. */
  handler: (job: Job) => unknown;
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

/** One outcome, as the move-to-finished script takes it. */
interface Outcome {
  kind: 'c' | 'f' | 'b' | 'a';
  entry: string;
  jobId: string;
  text: string;
  detail: string;
}

/** move-to-processing's reply for one job; see the script. */
type Activated =
  null | [state: string] | [string, string, string, string, number, string, string];

interface QueueRunner {
  keys: QueueKeys;
  consumer: Consumer;
  activate: Batcher<string, Activated>;
  finish: Batcher<Outcome, void>;
}

const EMPTY_OPTIONS: JobOptions = Object.freeze({});

export function describeError(error: unknown): { message: string; stack: string } {
  if (error instanceof Error) return { message: error.message, stack: error.stack ?? '' };
  let message: string;
  try {
    message =
      typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    message = String(error);
  }
  return { message: `non-Error thrown: ${message}`, stack: '' };
}

function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * Wraps a `Consumer` per queue with the job life cycle: marks jobs
 * processing, runs the handler, records the outcome and acknowledges the
 * entry in one script, for many jobs per round trip. Failure policies
 * (retry, backoff, delay, debounce) are applied in `outcomeOfFailure`.
 *
 * Events: `active` (job), `completed` (job, result), `failed` (job, error),
 * `dead-lettered` (DeadLetter), `error` (error).
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
      await existing.consumer.stop();
      this.runners.delete(queue);
    }

    const runner = this.createRunner(queue, wanted);
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
    await Promise.all(
      [...this.runners.values()].map((runner) => runner.consumer.stop({ timeoutMs })),
    );
  }

  /** Jobs running in this process now. */
  get active(): number {
    let active = 0;
    for (const runner of this.runners.values()) active += runner.consumer.active;
    return active;
  }

  private createRunner(queue: string, concurrency: number): QueueRunner {
    const keys = queueKeys(this.prefix, queue);
    const runner: QueueRunner = {
      keys,
      consumer: new Consumer({
        ...this.options.consumer,
        concurrency,
        db: this.options.db,
        streams: [keys.stream],
        group: GROUP,
        ack: 'manual',
        handler: (entry) => this.handleEntry(runner, entry),
      }),
      activate: new Batcher((ids) =>
        scripts.moveToProcessing.run<Activated[]>(
          this.options.db,
          ids.map((id) => keys.job(id)),
          [Date.now()],
        ),
      ),
      finish: new Batcher((outcomes) => this.recordOutcomes(keys, outcomes)),
    };
    runner.consumer.on('error', (error) => this.fail(error));
    return runner;
  }

  private async handleEntry(runner: QueueRunner, entry: StreamEntry): Promise<void> {
    const { keys } = runner;
    const jobId = fieldValue(entry.fields, 'j');
    if (!jobId) {
      const detail = JSON.stringify(entry.fields);
      return this.deadLetter(
        runner,
        entry.id,
        '',
        'entry has no job id (field j)',
        detail,
      );
    }

    const row = await runner.activate.add(jobId);
    if (row === null) {
      return this.deadLetter(runner, entry.id, jobId, `job ${jobId} has no record`, '');
    }
    if (row.length === 1) {
      return runner.finish.add({
        kind: 'a',
        entry: entry.id,
        jobId: '',
        text: '',
        detail: '',
      });
    }

    const [, event, data, opts, attempt, createdAt, priority] = row;
    let job: Job;
    try {
      job = new Job(
        jobId,
        keys.queue,
        event,
        data === '' ? undefined : JSON.parse(data),
        Number(attempt),
        Number(priority),
        new Date(Number(createdAt)),
        opts === '' ? EMPTY_OPTIONS : JSON.parse(opts),
        this.options.db,
        keys,
      );
    } catch (error) {
      const why = `job ${jobId} could not be decoded: ${describeError(error).message}`;
      return this.deadLetter(runner, entry.id, jobId, why, '');
    }

    this.emit('active', job);
    let result: unknown;
    let text = '';
    try {
      result = await this.options.handler(job);
      text = toJson('result', result, this.maxResultBytes) ?? '';
    } catch (error) {
      return this.settleFailure(runner, entry, job, error);
    }

    await runner.finish.add({ kind: 'c', entry: entry.id, jobId, text, detail: '' });
    this.emit('completed', job, result);
  }

  private async settleFailure(
    runner: QueueRunner,
    entry: StreamEntry,
    job: Job,
    error: unknown,
  ): Promise<void> {
    const outcome = this.outcomeOfFailure(entry, job, error);
    await runner.finish.add(outcome);
    this.emit('failed', job, error);
    if (outcome.kind === 'f') {
      this.emit('dead-lettered', {
        queue: job.queue,
        entryId: entry.id,
        jobId: job.id,
        reason: 'failed',
      } satisfies DeadLetter);
    }
  }

  /**
   * What becomes of a failed attempt. For now every failure is final: the
   * job is failed and dead-lettered.
   */
  private outcomeOfFailure(entry: StreamEntry, job: Job, error: unknown): Outcome {
    const { message, stack } = describeError(error);
    return { kind: 'f', entry: entry.id, jobId: job.id, text: message, detail: stack };
  }

  private async deadLetter(
    runner: QueueRunner,
    entryId: string,
    jobId: string,
    reason: string,
    detail: string,
  ): Promise<void> {
    await runner.finish.add({ kind: 'b', entry: entryId, jobId, text: reason, detail });
    this.emit('dead-lettered', {
      queue: runner.keys.queue,
      entryId,
      jobId: jobId || undefined,
      reason,
    } satisfies DeadLetter);
  }

  private async recordOutcomes(keys: QueueKeys, outcomes: Outcome[]): Promise<void[]> {
    const jobKeys: string[] = [];
    const args: (string | number)[] = [GROUP, Date.now()];
    for (const { kind, entry, jobId, text, detail } of outcomes) {
      if (jobId !== '') jobKeys.push(keys.job(jobId));
      args.push(kind, entry, jobId, text, detail);
    }

    const [completed, failed] = await scripts.moveToFinished.run<[number, number]>(
      this.options.db,
      [keys.stream, keys.completed, keys.failed, keys.dlq, ...jobKeys],
      args,
    );
    this.janitor.afterFinish(keys, completed, failed);
    return [];
  }

  private fail(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.emitWarning(error instanceof Error ? error : String(error));
  }
}
