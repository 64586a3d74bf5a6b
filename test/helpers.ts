import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

import {
  TaskManager,
  type TaskManagerEvents,
  type TaskManagerOptions,
} from '../lib/core/index.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test uses. */
export function freshPrefix(): string {
  return `remq-test-${randomBytes(6).toString('hex')}`;
}

export function connect(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
}

/** Every key under a prefix: `{prefix:queue}:...` and `prefix:...`. */
export async function keysOf(db: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await db.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

/**
 * A TaskManager on a fresh prefix with its own connection, and a cleanup
 * that stops it, deletes its keys and closes the connection.
 */
export function setup() {
  const prefix = freshPrefix();
  const db = connect();
  const managers: TaskManager<object>[] = [];

  return {
    prefix,
    db,
    manager<C extends object = object>(options: Partial<TaskManagerOptions<C>> = {}) {
      const tm = TaskManager.init<C>({ db, prefix, ...options });
      tm.on('error', () => undefined);
      managers.push(tm as unknown as TaskManager<object>);
      return tm;
    },
    async cleanup() {
      await Promise.all(managers.map((tm) => tm.stop({ timeoutMs: 1000 })));
      const keys = await keysOf(db, prefix);
      if (keys.length > 0) await db.del(...keys);
      db.disconnect();
    },
  };
}

/** Resolves with the arguments of the next `event` the TaskManager fires. */
export function next<E extends keyof TaskManagerEvents>(
  tm: TaskManager<object>,
  event: E,
): Promise<TaskManagerEvents[E]> {
  return new Promise((resolve) => tm.once(event, (...args) => resolve(args)));
}

/** Host and port of REDIS_URL, for tests that pass connection options. */
export function redisAddress(): { host: string; port: number } {
  const url = new URL(REDIS_URL);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/** Retries `assertion` until it passes or `timeoutMs` runs out (then throws its error). */
export async function eventually(
  assertion: () => Promise<void>,
  timeoutMs = 2000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
