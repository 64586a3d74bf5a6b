import type { Cluster, Redis } from 'ioredis';

/** An ioredis client: a standalone/Sentinel `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** The five states of a job. */
export type JobState = 'waiting' | 'delayed' | 'processing' | 'completed' | 'failed';

export const JOB_STATES: readonly JobState[] = [
  'waiting',
  'delayed',
  'processing',
  'completed',
  'failed',
];

/** A JSON value: what job data and handler results may hold. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** How long to wait between attempts. */
export type Backoff =
  | { type: 'fixed'; delayMs: number }
  | { type: 'exponential'; delayMs: number; jitter?: number; maxDelayMs?: number }
  | ((attempt: number, error: unknown) => number);

/** A recurring schedule. */
export interface RepeatOptions {
  /** Cron pattern; a sixth leading field holds seconds. */
  pattern?: string;
  /** IANA time zone the pattern is read in, e.g. `Europe/Paris`. */
  tz?: string;
  /** Fixed interval in milliseconds. */
  everyMs?: number;
  /** Stop after this many occurrences. */
  limit?: number;
  startDate?: Date | string | number;
  endDate?: Date | string | number;
}

/** Deduplication within a time window. A bare number is a throttle window in ms. */
export type DebounceOptions =
  | number
  | {
      /** Window in milliseconds. */
      windowMs: number;
      /** `throttle` (first wins, the default) or `debounce` (last wins). */
      mode?: 'throttle' | 'debounce';
      /** Dedup key; default: the event plus a stable hash of the data. */
      key?: string;
    };

/** Options of one job, given to `emit` or as a handler's defaults. */
export interface JobOptions {
  /** Caller's job id. Emitting an id that exists and has not finished returns it. */
  id?: string;
  /** Integer from -1,000,000 to 1,000,000; higher runs first. Default 0. */
  priority?: number;
  /** Not processed before this time. */
  delayUntil?: Date | string | number;
  /** Not processed before this many milliseconds from now. */
  delayMs?: number;
  /** Retries after the first attempt (`3` means at most 4 runs). Default 0. */
  retryCount?: number;
  /** Fixed delay between attempts, in milliseconds. Default 0. */
  retryDelayMs?: number;
  /** Delay between attempts; overrides `retryDelayMs`. */
  backoff?: Backoff;
  /** Run on a schedule. */
  repeat?: RepeatOptions;
  /** Deduplicate within a window. */
  debounce?: DebounceOptions;
  /** Fail an attempt that runs longer than this many milliseconds. */
  timeoutMs?: number;
}

/** Options of a handler: job defaults plus how many of its jobs run at once. */
export interface HandlerOptions extends Omit<JobOptions, 'id' | 'delayUntil'> {
  /** Jobs of this handler run at once in this process. */
  concurrency?: number;
}
