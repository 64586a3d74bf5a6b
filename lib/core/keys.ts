/**
 * Redis key names. Every key of one queue shares the hash tag `{prefix:queue}`,
 * so every script that touches a queue runs unchanged on Redis Cluster.
 */
export interface QueueKeys {
  readonly queue: string;
  /** The ready stream: one entry per job of priority 0 that may run now. */
  readonly stream: string;
  /**
   * The priority lane: prioritized jobs are appended here just as they are
   * delivered, in priority order, and wake-up signals for idle consumers.
   */
  readonly lane: string;
  /** Sorted set of waiting jobs that must be delivered in priority order. */
  readonly prioritized: string;
  /** Sorted set of delayed jobs, scored by the time they are due (ms). */
  readonly delayed: string;
  /** Hash of queue state: `paused`, and `seq`, the FIFO counter of prioritized jobs. */
  readonly meta: string;
  /** Hash of repeat schedules by schedule key. */
  readonly schedules: string;
  /**
   * The keys every script that makes jobs waiting (enqueue.lua) takes first:
   * stream, lane, prioritized, delayed, meta.
   */
  readonly enqueueKeys: readonly string[];
  /** Sorted set of completed job ids, scored by finish time (ms). */
  readonly completed: string;
  /** Sorted set of failed job ids, scored by finish time (ms). */
  readonly failed: string;
  /** The dead-letter stream. */
  readonly dlq: string;
  job(id: string): string;
  logs(id: string): string;
  /** The deduplication window of one debounce key. */
  debounce(key: string): string;
}

export function queueKeys(prefix: string, queue: string): QueueKeys {
  const base = `{${prefix}:${queue}}`;
  const enqueueKeys = ['stream', 'lane', 'prioritized', 'delayed', 'meta'].map(
    (name) => `${base}:${name}`,
  );
  return {
    enqueueKeys,
    queue,
    stream: `${base}:stream`,
    lane: `${base}:lane`,
    prioritized: `${base}:prioritized`,
    delayed: `${base}:delayed`,
    meta: `${base}:meta`,
    schedules: `${base}:schedules`,
    completed: `${base}:completed`,
    failed: `${base}:failed`,
    dlq: `${base}:dlq`,
    job: (id) => `${base}:job:${id}`,
    logs: (id) => `${base}:logs:${id}`,
    debounce: (key) => `${base}:debounce:${key}`,
  };
}

/** The set of every queue name ever emitted to or consumed under a prefix. */
export function queuesKey(prefix: string): string {
  return `${prefix}:queues`;
}

/** The queue of a job or handler that names none. */
export const DEFAULT_QUEUE = 'default';

/** The consumer group every TaskManager of one prefix reads through. */
export const GROUP = 'remq';
