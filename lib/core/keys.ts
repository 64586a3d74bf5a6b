/**
 * Redis key names. Every key of one queue shares the hash tag `{prefix:queue}`,
 * so every script that touches a queue runs unchanged on Redis Cluster.
 */
export interface QueueKeys {
  readonly queue: string;
  /** The ready stream: one entry per job that may run now. */
  readonly stream: string;
  /** Sorted set of completed job ids, scored by finish time (ms). */
  readonly completed: string;
  /** Sorted set of failed job ids, scored by finish time (ms). */
  readonly failed: string;
  /** The dead-letter stream. */
  readonly dlq: string;
  job(id: string): string;
  logs(id: string): string;
}

export function queueKeys(prefix: string, queue: string): QueueKeys {
  const base = `{${prefix}:${queue}}`;
  return {
    queue,
    stream: `${base}:stream`,
    completed: `${base}:completed`,
    failed: `${base}:failed`,
    dlq: `${base}:dlq`,
    job: (id) => `${base}:job:${id}`,
    logs: (id) => `${base}:logs:${id}`,
  };
}

/** The set of every queue name ever emitted to or consumed under a prefix. */
export function queuesKey(prefix: string): string {
  return `${prefix}:queues`;
}

/** The consumer group every TaskManager of one prefix reads through. */
export const GROUP = 'remq';
