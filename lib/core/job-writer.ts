import { ValidationError } from './errors.js';
import { debounceOf } from './debounce.js';
import { newJobId } from './ids.js';
import { DEFAULT_QUEUE, queueKeys, queuesKey } from './keys.js';
import { checkHasRun, type RepeatScheduler } from './scheduler.js';
import { scripts } from './scripts/index.js';
import type { EmitInput } from './task-manager.js';
import type { HandlerOptions, JobOptions, RedisClient, RepeatOptions } from './types.js';
import { toJson } from './json.js';
import { checkJobOptions, checkName, toTime } from './validate.js';

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

/**
 * The write side of a TaskManager: validates jobs, applies the emit-time
 * options (priority, delay, debounce, repeat) and stores them, one script call
 * per queue per thousand jobs.
 */
export class JobWriter {
  private readonly knownQueues = new Set<string>();

  constructor(
    private readonly db: RedisClient,
    private readonly prefix: string,
    private readonly maxDataBytes: number,
    private readonly scheduler: RepeatScheduler,
    /** The options of the handler of an event, when this process has one. */
    private readonly policyOf: (queue: string, event: string) => HandlerOptions,
  ) {}

  /** Validates every job, then stores them; `bulk` names fields `jobs[i].…`. */
  async store(inputs: EmitInput[], bulk: boolean): Promise<string[]> {
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

  /** Stores jobs of one queue; resolves with the id standing for each. */
  private add(queue: string, jobs: Prepared[]): Promise<string[]> {
    const keys = queueKeys(this.prefix, queue);
    const rows = jobs.map((job) => [
      job.id,
      job.event,
      job.data,
      job.options,
      String(job.priority),
      String(job.dueAt),
      job.debounce?.mode ?? '',
      String(job.debounce?.windowMs ?? 0),
      job.debounce?.key ?? '',
    ]);
    return scripts.addJobs.run<string[]>(
      this.db,
      [...keys.enqueueKeys, keys.completed, keys.failed],
      [Date.now(), keys.job(''), keys.logs(''), keys.debounce(''), JSON.stringify(rows)],
    );
  }

  async rememberQueue(queue: string): Promise<void> {
    if (this.knownQueues.has(queue)) return;
    await this.db.sadd(queuesKey(this.prefix), queue);
    this.knownQueues.add(queue);
  }
}
