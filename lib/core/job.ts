import type { QueueKeys } from './keys.js';
import type { JobOptions, JobState, RedisClient } from './types.js';

/** What a handler receives: one attempt at one job. */
export class Job<T = unknown> {
  constructor(
    readonly id: string,
    readonly queue: string,
    readonly event: string,
    readonly data: T,
    /** 1 on the first run, 2 on the first retry, and so on. */
    readonly attempt: number,
    readonly priority: number,
    readonly createdAt: Date,
    /** Options given at emit. */
    readonly options: JobOptions,
    private readonly db: RedisClient,
    private readonly keys: QueueKeys,
  ) {}

  /** Appends a line to the job's log, kept with its record. */
  async log(message: string): Promise<void> {
    await this.db.rpush(
      this.keys.logs(this.id),
      `${new Date().toISOString()} ${message}`,
    );
  }

  /** Stores the job's progress: a percentage or any JSON value. */
  async updateProgress(progress: unknown): Promise<void> {
    await this.db.hset(this.keys.job(this.id), 'progress', JSON.stringify(progress));
  }
}

/** A job's stored record, as the admin API returns it. */
export interface JobRecord<T = unknown> {
  id: string;
  queue: string;
  event: string;
  state: JobState;
  data: T;
  options: JobOptions;
  priority: number;
  /** Runs started so far. */
  attempt: number;
  createdAt: Date;
  processedAt?: Date;
  finishedAt?: Date;
  /** What the handler returned, for a completed job. */
  result?: unknown;
  /** When a delayed job is due. */
  dueAt?: Date;
  /** Message of the last error. */
  error?: string;
  /** Every failed attempt, oldest first. */
  errors: { attempt: number; message: string; at: Date }[];
  stack?: string;
  progress?: unknown;
  logs: string[];
}

/**
 * Reads a stored JSON field. A field that is not JSON (written by something
 * else than REMQ) comes back as its raw text, so the admin API can still show
 * the record that explains why it failed.
 */
export function parseStored(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function date(ms: string | undefined): Date | undefined {
  return ms === undefined ? undefined : new Date(Number(ms));
}

/** Builds a record from a job hash (HGETALL) and its log lines. */
export function toJobRecord(
  queue: string,
  id: string,
  hash: Record<string, string>,
  logs: string[],
): JobRecord {
  return {
    id,
    queue,
    event: hash.event,
    state: hash.state as JobState,
    data: parseStored(hash.data),
    options: (parseStored(hash.opts) ?? {}) as JobOptions,
    priority: Number(hash.priority ?? 0),
    attempt: Number(hash.attempt ?? 0),
    createdAt: new Date(Number(hash.createdAt)),
    processedAt: date(hash.processedAt),
    finishedAt: date(hash.finishedAt),
    result: parseStored(hash.result),
    dueAt: date(hash.dueAt),
    error: hash.error,
    errors: (
      (parseStored(hash.errors) ?? []) as {
        attempt: number;
        message: string;
        at: number;
      }[]
    ).map((entry) => ({ ...entry, at: new Date(entry.at) })),
    stack: hash.stack,
    progress: parseStored(hash.progress),
    logs,
  };
}
