// One chaos worker process: consumes queue `chaos` and counts each run of a
// job in the hash `<prefix>:runs`, until it is killed.
import { Redis } from 'ioredis';

import { TaskManager } from '../../lib/core/index.js';

const [url, prefix] = process.argv.slice(2);
// Dies with the harness, however the harness dies (its IPC channel closes),
// also when that happened while this process was still loading.
process.on('disconnect', () => process.exit(0));
if (!process.connected) process.exit(0);
const db = new Redis(url, { maxRetriesPerRequest: null });
db.on('error', () => undefined); // Redis restarts on purpose here
const tasks = TaskManager.init({
  db,
  prefix,
  consumer: {
    concurrency: 10,
    read: { blockMs: 500 },
    claim: { minIdleMs: 1000, maxDeliveries: 20 },
  },
  retention: { completed: { count: 1_000_000 } },
});
tasks.on('error', () => undefined);

await tasks.registerHandler<{ n: number }>({
  event: 'work',
  queue: 'chaos',
  handler: async (job) => {
    await db.hincrby(`${prefix}:runs`, job.id, 1);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
  },
});
await tasks.start();
process.send?.('ready');
