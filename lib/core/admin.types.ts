import { ValidationError } from './errors.js';

/** Counts of one queue's jobs by state, and its dead-letter size. */
export interface QueueStats {
  queue: string;
  waiting: number;
  delayed: number;
  processing: number;
  completed: number;
  failed: number;
  /** Entries in the dead-letter stream. */
  deadLettered: number;
  paused: boolean;
}

/** A page of a listing. */
export interface Page {
  /** Jobs to skip. Default 0. */
  offset?: number;
  /** Most jobs returned. Default 50. */
  limit?: number;
}

export function isNoGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOGROUP');
}

/** One entry of a queue's dead-letter stream. */
export interface DeadLetterEntry {
  /** Entry id in the dead-letter stream. */
  entryId: string;
  jobId?: string;
  event?: string;
  /** `failed` (retries exhausted) or why the entry could not be run. */
  reason: string;
  error?: string;
  attempts: number;
  at: Date;
  data?: unknown;
  /** For an entry that held no job: its fields, as they were on the stream. */
  fields?: string[];
}

export function checkPage(page: Page): { offset: number; limit: number } {
  const { offset = 0, limit = 50 } = page ?? {};
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ValidationError(
      'page.offset',
      `must be an integer >= 0, got ${String(offset)}`,
    );
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new ValidationError(
      'page.limit',
      `must be an integer from 1 to 1000, got ${String(limit)}`,
    );
  }
  return { offset, limit };
}

export function jobIdOf(fields: string[]): string {
  const at = fields.indexOf('j');
  return at >= 0 && at % 2 === 0 ? fields[at + 1] : '';
}

export function pairsToObject(pairs: unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < pairs.length; i += 2) object[String(pairs[i])] = pairs[i + 1];
  return object;
}
