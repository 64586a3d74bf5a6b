import { RemqError, ValidationError } from './errors.js';
import { parseStored, toJobRecord, type JobRecord } from './job.js';
import { GROUP, queueKeys, queuesKey, type QueueKeys } from './keys.js';
import { RepeatScheduler, type Schedule } from './scheduler.js';
import { scripts } from './scripts/index.js';
import { checkName } from './validate.js';
import {
  checkPage,
  isNoGroup,
  jobIdOf,
  pairsToObject,
  type DeadLetterEntry,
  type Page,
  type QueueStats,
} from './admin.types.js';
import { JOB_STATES, type JobState, type RedisClient } from './types.js';

export type { DeadLetterEntry, Page, QueueStats } from './admin.types.js';

/**
 * Everything a dashboard, CLI or health check shows and does: queues,
 * counts, jobs, pause and resume, retry and cancel, the dead-letter queue.
 */
export class RemqAdmin {
  constructor(
    private readonly db: RedisClient,
    readonly prefix = 'remq',
  ) {}

  /** Keys of a queue, after checking its name (it may come from a URL). */
  private keysOf(queue: string): QueueKeys {
    return queueKeys(this.prefix, checkName('queue', queue));
  }

  /** Repeat schedules of a queue, with their next run. */
  async listSchedules(queue: string): Promise<Schedule[]> {
    return new RepeatScheduler(this.db, this.prefix).list(checkName('queue', queue));
  }

  /** Removes a schedule and cancels its pending run; false when there was none. */
  async removeSchedule(queue: string, key: string): Promise<boolean> {
    return new RepeatScheduler(this.db, this.prefix).remove(
      checkName('queue', queue),
      key,
    );
  }

  /** Every queue emitted to or consumed under this prefix, sorted by name. */
  async getQueues(): Promise<string[]> {
    return (await this.db.smembers(queuesKey(this.prefix))).sort();
  }

  async getQueueStats(queue: string): Promise<QueueStats> {
    const keys = this.keysOf(queue);
    const [
      entries,
      pending,
      onLane,
      held,
      delayed,
      completed,
      failed,
      deadLettered,
      paused,
    ] = await Promise.all([
      this.db.xlen(keys.stream),
      this.pendingCount(keys.stream),
      this.pendingCount(keys.lane),
      this.db.zcard(keys.prioritized),
      this.db.zcard(keys.delayed),
      this.db.zcard(keys.completed),
      this.db.zcard(keys.failed),
      this.db.xlen(keys.dlq),
      this.db.hget(keys.meta, 'paused'),
    ]);

    // NOTE: acknowledged entries are deleted, so the ready stream holds exactly
    // the jobs waiting plus those delivered and not yet finished.
    return {
      queue,
      waiting: Math.max(0, entries - pending) + held,
      delayed,
      processing: pending + onLane,
      completed,
      failed,
      deadLettered,
      paused: paused === '1',
    };
  }

  /**
   * Stops delivery of the queue's jobs to every consumer (jobs already
   * running finish). Jobs emitted meanwhile wait; nothing is lost or skipped.
   */
  async pause(queue: string): Promise<void> {
    await this.db.hset(this.keysOf(queue).meta, 'paused', '1');
  }

  /** Resumes delivery; jobs held while paused run in their order. */
  async resume(queue: string): Promise<void> {
    const keys = this.keysOf(queue);
    await scripts.resumeQueue.run(this.db, [keys.lane, keys.meta], []);
  }

  /**
   * Runs a failed job again with a fresh retry budget; its dead-letter entry
   * is removed. Resolves false when the job is not failed.
   */
  async retryJob(queue: string, id: string): Promise<boolean> {
    return (await this.requeue(queue, id, '')) === 1;
  }

  /**
   * Cancels a waiting or delayed job. Resolves false when it was neither, or
   * when a consumer has already read it (it runs). Cancelling a run of a
   * repeat schedule skips that run; the schedule goes on.
   */
  async cancelJob(queue: string, id: string): Promise<boolean> {
    const keys = this.keysOf(queue);
    const schedule = await this.db.hget(keys.job(id), 'schedule');
    const cancelled = await scripts.cancelJob.run<number>(
      this.db,
      [keys.stream, keys.prioritized, keys.delayed, keys.job(id), keys.logs(id)],
      [id, GROUP],
    );
    if (cancelled === 1 && schedule) {
      await new RepeatScheduler(this.db, this.prefix).advance(queue, id, schedule);
    }
    return cancelled === 1;
  }

  /** Entries of the queue's dead-letter stream, oldest first. */
  async listDeadLetters(queue: string, page: Page = {}): Promise<DeadLetterEntry[]> {
    const keys = this.keysOf(queue);
    const { offset, limit } = checkPage(page);
    const rows = await this.db.xrange(keys.dlq, '-', '+', 'COUNT', offset + limit);
    return rows.slice(offset).map(([entryId, fields]) => {
      const f = pairsToObject(fields) as Record<string, string | undefined>;
      return {
        entryId,
        jobId: f.j || undefined,
        event: f.event || undefined,
        reason: f.reason ?? '',
        error: f.error || undefined,
        attempts: Number(f.attempts ?? 0),
        at: new Date(Number(f.at)),
        data: parseStored(f.data),
        fields: f.fields ? (parseStored(f.fields) as string[]) : undefined,
      };
    });
  }

  /**
   * Runs a dead-lettered job again with a fresh retry budget, and removes the
   * entry. Rejects when the entry holds no job (a foreign entry).
   */
  async replayDeadLetter(queue: string, entryId: string): Promise<string> {
    const keys = this.keysOf(queue);
    if (typeof entryId !== 'string' || !/^\d+-\d+$/.test(entryId)) {
      throw new ValidationError(
        'entryId',
        `must be a stream entry id like 1700000000000-0`,
      );
    }
    const [found] = await this.db.xrange(keys.dlq, entryId, entryId);
    const jobId = found && pairsToObject(found[1]).j;
    if (typeof jobId !== 'string' || jobId === '') {
      throw new RemqError(
        `dead-letter entry ${entryId} of queue '${queue}' holds no job`,
      );
    }
    const outcome = await this.requeue(queue, jobId, entryId);
    if (outcome === -1) {
      throw new RemqError(
        `dead-letter entry ${entryId} of queue '${queue}' holds no job`,
      );
    }
    if (outcome === 0) await this.db.xdel(keys.dlq, entryId);
    return jobId;
  }

  /** Deletes every entry of the queue's dead-letter stream; resolves with how many. */
  async purgeDeadLetters(queue: string): Promise<number> {
    const keys = this.keysOf(queue);
    const [count] = (await this.db.multi().xlen(keys.dlq).del(keys.dlq).exec()) as [
      [Error | null, number],
    ];
    return count[1];
  }

  private requeue(queue: string, id: string, entryId: string): Promise<number> {
    const keys = this.keysOf(queue);
    return scripts.requeueJob.run<number>(
      this.db,
      [...keys.enqueueKeys, keys.failed, keys.dlq, keys.job(id)],
      [id, entryId, Date.now()],
    );
  }

  /** One job's record with its logs, or null when there is none. */
  async getJob(queue: string, id: string): Promise<JobRecord | null> {
    const keys = this.keysOf(queue);
    // A finished job's finish time is its score in its set (see move-to-finished).
    const [hash, logs, completedAt, failedAt] = await Promise.all([
      this.db.hgetall(keys.job(id)),
      this.db.lrange(keys.logs(id), 0, -1),
      this.db.zscore(keys.completed, id),
      this.db.zscore(keys.failed, id),
    ]);
    if (!hash.state) return null;
    const score = { completed: completedAt, failed: failedAt }[hash.state];
    // Records written before keep theirs in the hash.
    if (score != null) hash.finishedAt ??= score;
    return toJobRecord(queue, id, hash, logs);
  }

  /**
   * Jobs of one queue in one state: waiting and processing oldest first,
   * completed and failed newest first.
   */
  async listJobs(queue: string, state: JobState, page: Page = {}): Promise<JobRecord[]> {
    const keys = this.keysOf(queue);
    if (!JOB_STATES.includes(state)) {
      throw new ValidationError('state', `must be one of ${JOB_STATES.join(', ')}`);
    }
    const { offset, limit } = checkPage(page);
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
      case 'processing': {
        const onStream = await this.pendingEntryIds(keys.stream, offset + limit);
        const onLane = await this.pendingEntryIds(keys.lane, offset + limit);
        const ids = [
          ...(await this.entriesToIds(keys.stream, onStream)),
          ...(await this.entriesToIds(keys.lane, onLane)),
        ];
        return ids.slice(offset, offset + limit);
      }
      case 'waiting': {
        // Prioritized jobs go first, except those below priority 0.
        const [first, ready, last] = await Promise.all([
          this.db.zrangebyscore(keys.prioritized, '-inf', '(0'),
          this.waitingIds(keys, offset + limit),
          this.db.zrangebyscore(keys.prioritized, 0, '+inf', 'LIMIT', 0, offset + limit),
        ]);
        return [...first, ...ready, ...last].slice(offset, offset + limit);
      }
      case 'delayed':
        return this.db.zrange(keys.delayed, offset, offset + limit - 1);
    }
  }

  private async pendingCount(stream: string): Promise<number> {
    try {
      const [count] = (await this.db.xpending(stream, GROUP)) as [number];
      return Number(count);
    } catch (error) {
      if (isNoGroup(error)) return 0;
      throw error;
    }
  }

  private async pendingEntryIds(stream: string, count: number): Promise<string[]> {
    try {
      const rows = (await this.db.xpending(stream, GROUP, '-', '+', count)) as [
        string,
        ...unknown[],
      ][];
      return rows.map(([entryId]) => entryId);
    } catch (error) {
      if (isNoGroup(error)) return [];
      throw error;
    }
  }

  private async entriesToIds(stream: string, entryIds: string[]) {
    const rows = await Promise.all(entryIds.map((id) => this.db.xrange(stream, id, id)));
    return rows.flatMap((found) => found.map(([, fields]) => jobIdOf(fields)));
  }

  /** Entries after the group's last delivered one are the waiting jobs. */
  private async waitingIds(keys: QueueKeys, count: number) {
    let start = '-';
    try {
      const groups = (await this.db.xinfo('GROUPS', keys.stream)) as unknown[][];
      const group = groups.map(pairsToObject).find((info) => info.name === GROUP);
      if (group) start = `(${String(group['last-delivered-id'])}`;
    } catch (error) {
      if (!(error instanceof Error) || !/no such key/i.test(error.message)) throw error;
      return [];
    }
    const rows = await this.db.xrange(keys.stream, start, '+', 'COUNT', count);
    return rows.map(([, fields]) => jobIdOf(fields));
  }
}
