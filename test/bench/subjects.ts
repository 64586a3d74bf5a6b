import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { TaskManager } from '../../lib/core/index.js';

export interface ConsumeOptions {
  /** Keep every finished job (BullMQ's default; REMQ keeps the newest 1,000). */
  keepFinished?: boolean;
}

/** What every scenario does, implemented once per queue library. */
export interface Subject {
  name: string;
  addBulk(queue: string, count: number): Promise<void>;
  add(queue: string, n: number, extra?: object): Promise<void>;
  /**
   * Starts consuming `queue`: `onDone` is called once per recorded
   * completion, `onRun` in the handler with the job's data.
   */
  consume(
    queue: string,
    concurrency: number,
    onDone: () => void,
    onRun?: (data: Record<string, number>) => void,
    options?: ConsumeOptions,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const data = (n: number) => ({ n, to: 'user@example.com' });

export function remq(url: string, prefix: string): Subject {
  const db = new Redis(url);
  const producer = TaskManager.init({ db, prefix });
  return {
    name: 'REMQ',
    async addBulk(queue, count) {
      for (let i = 0; i < count; i += 1000) {
        const size = Math.min(1000, count - i);
        await producer.emitBulk(
          Array.from({ length: size }, (_, j) => ({
            event: 'job',
            queue,
            data: data(i + j),
          })),
        );
      }
    },
    async add(queue, n, extra) {
      await producer.emit({ event: 'job', queue, data: { ...data(n), ...extra } });
    },
    async consume(queue, concurrency, onDone, onRun, options) {
      const consumerDb = new Redis(url);
      const tasks = TaskManager.init({
        db: consumerDb,
        prefix,
        consumer: { concurrency },
        ...(options?.keepFinished && { retention: { completed: { count: 1e9 } } }),
      });
      tasks.on('completed', onDone);
      await tasks.registerHandler<Record<string, number>>({
        event: 'job',
        queue,
        handler: (job) => void onRun?.(job.data),
      });
      await tasks.start();
      return async () => {
        await tasks.stop();
        consumerDb.disconnect();
      };
    },
    async close() {
      db.disconnect();
    },
  };
}

export function bullmq(url: string, prefix: string): Subject {
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
  const queues = new Map<string, Queue>();
  const queueOf = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection, prefix });
      queues.set(name, queue);
    }
    return queue;
  };
  return {
    name: 'BullMQ',
    async addBulk(queue, count) {
      for (let i = 0; i < count; i += 1000) {
        const size = Math.min(1000, count - i);
        await queueOf(queue).addBulk(
          Array.from({ length: size }, (_, j) => ({ name: 'job', data: data(i + j) })),
        );
      }
    },
    async add(queue, n, extra) {
      await queueOf(queue).add('job', { ...data(n), ...extra });
    },
    async consume(queue, concurrency, onDone, onRun) {
      const worker = new Worker(queue, async (job) => void onRun?.(job.data), {
        connection,
        prefix,
        concurrency,
      });
      worker.on('completed', onDone);
      await worker.waitUntilReady();
      return () => worker.close();
    },
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
