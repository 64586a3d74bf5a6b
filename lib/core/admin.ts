import { toJobRecord, type JobRecord } from './job.js';
import { GROUP, queueKeys, queuesKey, type QueueKeys } from './keys.js';
import type { JobState, RedisClient } from './types.js';

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

function isNoGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOGROUP');
}

/**
 * Everything a dashboard, CLI or health check shows: queues, counts, jobs.
 * Reads only; it never changes a job's state.
 */
export class RemqAdmin {
  constructor(
    private readonly db: RedisClient,
    readonly prefix = 'remq',
  ) {}

  /** Every queue emitted to or consumed under this prefix, sorted by name. */
  async getQueues(): Promise<string[]> {
    return (await this.db.smembers(queuesKey(this.prefix))).sort();
  }

  async getQueueStats(queue: string): Promise<QueueStats> {
    const keys = queueKeys(this.prefix, queue);
    const [entries, processing, completed, failed, deadLettered] = await Promise.all([
      this.db.xlen(keys.stream),
      this.pendingCount(keys),
      this.db.zcard(keys.completed),
      this.db.zcard(keys.failed),
      this.db.xlen(keys.dlq),
    ]);

    // NOTE: acknowledged entries are deleted, so the stream holds exactly the
    // jobs waiting plus those delivered and not yet finished.
    return {
      queue,
      waiting: Math.max(0, entries - processing),
      delayed: 0,
      processing,
      completed,
      failed,
      deadLettered,
      paused: false,
    };
  }

  /** One job's record with its logs, or null when there is none. */
  async getJob(queue: string, id: string): Promise<JobRecord | null> {
    const keys = queueKeys(this.prefix, queue);
    const [hash, logs] = await Promise.all([
      this.db.hgetall(keys.job(id)),
      this.db.lrange(keys.logs(id), 0, -1),
    ]);
    if (!hash.state) return null;
    return toJobRecord(queue, id, hash, logs);
  }

  /**
   * Jobs of one queue in one state: waiting and processing oldest first,
   * completed and failed newest first.
   */
  async listJobs(queue: string, state: JobState, page: Page = {}): Promise<JobRecord[]> {
    const offset = page.offset ?? 0;
    const limit = page.limit ?? 50;
    const keys = queueKeys(this.prefix, queue);
    const ids = await this.jobIds(keys, state, offset, limit);
    const jobs = await Promise.all(ids.map((id) => this.getJob(queue, id)));
    return jobs.filter((job): job is JobRecord => job !== null && job.state === state);
  }

  private async jobIds(
    keys: QueueKeys,
    state: JobState,
    offset: number,
    limit: number,
  ): Promise<string[]> {
    switch (state) {
      case 'completed':
      case 'failed':
        return this.db.zrevrange(keys[state], offset, offset + limit - 1);
      case 'processing':
        return this.entriesToIds(
          keys,
          await this.pendingEntryIds(keys, offset + limit),
          offset,
        );
      case 'waiting':
        return this.waitingIds(keys, offset, limit);
      case 'delayed':
        return [];
    }
  }

  private async pendingCount(keys: QueueKeys): Promise<number> {
    try {
      const [count] = (await this.db.xpending(keys.stream, GROUP)) as [number];
      return Number(count);
    } catch (error) {
      if (isNoGroup(error)) return 0;
      throw error;
    }
  }

  private async pendingEntryIds(keys: QueueKeys, count: number): Promise<string[]> {
    try {
      const rows = (await this.db.xpending(keys.stream, GROUP, '-', '+', count)) as [
        string,
        ...unknown[],
      ][];
      return rows.map(([entryId]) => entryId);
    } catch (error) {
      if (isNoGroup(error)) return [];
      throw error;
    }
  }

  private async entriesToIds(keys: QueueKeys, entryIds: string[], offset: number) {
    const rows = await Promise.all(
      entryIds.slice(offset).map((id) => this.db.xrange(keys.stream, id, id)),
    );
    return rows.flatMap((found) => found.map(([, fields]) => jobIdOf(fields)));
  }

  /** Entries after the group's last delivered one are the waiting jobs. */
  private async waitingIds(keys: QueueKeys, offset: number, limit: number) {
    let start = '-';
    try {
      const groups = (await this.db.xinfo('GROUPS', keys.stream)) as unknown[][];
      const group = groups.map(pairsToObject).find((info) => info.name === GROUP);
      if (group) start = `(${String(group['last-delivered-id'])}`;
    } catch (error) {
      if (!(error instanceof Error) || !/no such key/i.test(error.message)) throw error;
      return [];
    }
    const rows = await this.db.xrange(keys.stream, start, '+', 'COUNT', offset + limit);
    return rows.slice(offset).map(([, fields]) => jobIdOf(fields));
  }
}

function jobIdOf(fields: string[]): string {
  const at = fields.indexOf('j');
  return at >= 0 && at % 2 === 0 ? fields[at + 1] : '';
}

function pairsToObject(pairs: unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < pairs.length; i += 2) object[String(pairs[i])] = pairs[i + 1];
  return object;
}
