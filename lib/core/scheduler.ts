import { createHash } from 'node:crypto';

import { Cron } from 'croner';

import { RemqError, ValidationError } from './errors.js';
import { GROUP, queueKeys, type QueueKeys } from './keys.js';
import { scripts } from './scripts/index.js';
import type { JobOptions, RedisClient, RepeatOptions } from './types.js';
import { toTime } from './validate.js';

/** A repeat schedule, as the admin API lists it. */
export interface Schedule {
  key: string;
  event: string;
  repeat: RepeatOptions;
  /** Occurrences created so far. */
  count: number;
  /** Id of the pending occurrence, or undefined once the schedule has ended. */
  nextJobId?: string;
  nextRunAt?: Date;
}

/** What a schedule is; equal definitions mean the same schedule. */
interface Definition {
  event: string;
  data: string;
  options: string;
  priority: number;
  repeat: RepeatOptions;
}

const TRIES = 10;

/**
 * Keeps repeat schedules in Redis with exactly one pending occurrence each.
 * An occurrence is an ordinary delayed job whose id is derived from its
 * schedule and due time; the next one is created when an occurrence starts,
 * so a failed run does not end the schedule.
 */
export class RepeatScheduler {
  constructor(
    private readonly db: RedisClient,
    private readonly prefix: string,
  ) {}

  /**
   * Declares a schedule (idempotent); resolves with its pending occurrence's
   * id. A handler's schedule is keyed by its event, so a changed definition
   * replaces it; an emitted one by its definition, data included.
   */
  async register(
    queue: string,
    event: string,
    data: string,
    options: JobOptions,
    repeat: RepeatOptions,
    owner: 'handler' | 'emit',
  ): Promise<string> {
    const { priority = 0, ...rest } = options;
    const definition: Definition = {
      event,
      data,
      options: Object.keys(rest).length === 0 ? '' : JSON.stringify(rest),
      priority,
      repeat: normalize(repeat),
    };
    const text = JSON.stringify(definition);
    const key =
      owner === 'handler'
        ? `handler:${event}`
        : `${event}:${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    const after = Math.max(Date.now(), startOf(repeat) - 1);
    return this.write(
      queueKeys(this.prefix, queue),
      'register',
      key,
      definition,
      text,
      after,
    );
  }

  /**
   * Called when an occurrence starts, or is cancelled: creates the next one,
   * if this occurrence is still the schedule's pending one.
   */
  async advance(queue: string, occurrenceId: string, key: string): Promise<void> {
    const keys = queueKeys(this.prefix, queue);
    const raw = await this.db.hget(keys.schedules, key);
    if (!raw) return;
    const { definition } = JSON.parse(raw) as { definition: string };
    const parsed = JSON.parse(definition) as Definition;
    const dueOfThis = Number(occurrenceId.slice(occurrenceId.lastIndexOf(':') + 1));
    const after = Math.max(Date.now(), Number.isFinite(dueOfThis) ? dueOfThis : 0);
    await this.write(keys, 'advance', key, parsed, definition, after, occurrenceId);
  }

  async list(queue: string): Promise<Schedule[]> {
    const keys = queueKeys(this.prefix, queue);
    const all = await this.db.hgetall(keys.schedules);
    return Object.entries(all).map(([key, raw]) => {
      const stored = JSON.parse(raw) as {
        definition: string;
        count: number;
        next: string;
        nextAt: number | false;
      };
      const definition = JSON.parse(stored.definition) as Definition;
      return {
        key,
        event: definition.event,
        repeat: definition.repeat,
        count: stored.count,
        nextJobId: stored.next || undefined,
        nextRunAt: stored.nextAt ? new Date(stored.nextAt) : undefined,
      };
    });
  }

  /** Removes a schedule and cancels its pending occurrence; false when there was none. */
  async remove(queue: string, key: string): Promise<boolean> {
    const keys = queueKeys(this.prefix, queue);
    for (let i = 0; i < TRIES; i += 1) {
      const seen = await this.pendingOf(keys, key);
      const removed = await scripts.removeSchedule.run<number | null>(
        this.db,
        [
          keys.stream,
          keys.prioritized,
          keys.delayed,
          keys.schedules,
          keys.job(seen || 'none'),
        ],
        [key, seen, GROUP],
      );
      if (removed !== null) return removed === 1;
    }
    throw new RemqError(`schedule ${key} of queue '${queue}' kept changing`);
  }

  private async write(
    keys: QueueKeys,
    mode: 'register' | 'advance',
    key: string,
    definition: Definition,
    text: string,
    after: number,
    expected?: string,
  ): Promise<string> {
    const due = nextRun(definition.repeat, after);
    const id = due === undefined ? '' : `repeat:${key}:${due}`;
    for (let i = 0; i < TRIES; i += 1) {
      const seen = expected ?? (await this.pendingOf(keys, key));
      const pending = await scripts.scheduleNext.run<string | null>(
        this.db,
        [
          ...keys.enqueueKeys,
          keys.schedules,
          keys.job(id || 'none'),
          keys.logs(id || 'none'),
          keys.job(seen || 'none'),
        ],
        [
          mode,
          key,
          mode === 'register' ? text : '',
          seen,
          id,
          due ?? 0,
          definition.event,
          definition.data,
          definition.options,
          definition.priority,
          Date.now(),
          definition.repeat.limit ?? 0,
          GROUP,
        ],
      );
      if (pending !== null) return pending;
      if (expected !== undefined) return '';
    }
    throw new RemqError(`schedule ${key} of queue '${keys.queue}' kept changing`);
  }

  private async pendingOf(keys: QueueKeys, key: string): Promise<string> {
    const raw = await this.db.hget(keys.schedules, key);
    return raw ? ((JSON.parse(raw) as { next?: string }).next ?? '') : '';
  }
}

/** The same schedule, written the same way (dates as epoch ms). */
function normalize(repeat: RepeatOptions): RepeatOptions {
  const out: RepeatOptions = {};
  if (repeat.pattern !== undefined) out.pattern = repeat.pattern;
  if (repeat.tz !== undefined) out.tz = repeat.tz;
  if (repeat.everyMs !== undefined) out.everyMs = repeat.everyMs;
  if (repeat.limit !== undefined) out.limit = repeat.limit;
  if (repeat.startDate !== undefined)
    out.startDate = toTime('repeat.startDate', repeat.startDate);
  if (repeat.endDate !== undefined)
    out.endDate = toTime('repeat.endDate', repeat.endDate);
  return out;
}

/** Rejects a schedule that would never run (its end before its first run). */
export function checkHasRun(field: string, repeat: RepeatOptions): void {
  const after = Math.max(Date.now(), startOf(repeat) - 1);
  if (nextRun(repeat, after) === undefined) {
    throw new ValidationError(
      field,
      'has no run from now on (see startDate and endDate)',
    );
  }
}

function startOf(repeat: RepeatOptions): number {
  return repeat.startDate === undefined
    ? 0
    : toTime('repeat.startDate', repeat.startDate);
}

/**
 * The first run strictly after `after` (epoch ms), or undefined past the end.
 * `everyMs` runs are aligned to `startDate` (or to the epoch), so every
 * process computes the same times.
 */
export function nextRun(repeat: RepeatOptions, after: number): number | undefined {
  const start = startOf(repeat);
  const from = Math.max(after, start - 1);
  let next: number | undefined;
  if (repeat.everyMs !== undefined) {
    next = start + (Math.floor((from - start) / repeat.everyMs) + 1) * repeat.everyMs;
  } else if (repeat.pattern !== undefined) {
    const cron = new Cron(repeat.pattern, { paused: true, timezone: repeat.tz });
    next = cron.nextRun(new Date(from))?.getTime();
    cron.stop();
  }
  const end =
    repeat.endDate === undefined ? Infinity : toTime('repeat.endDate', repeat.endDate);
  return next === undefined || next > end ? undefined : next;
}
