// `npm run soak [-- --jobs N]`: pushes N jobs through one TaskManager on a
// throwaway Redis under the default retention, and prints the heap and Redis
// memory every tenth of the way, to show both stay flat.
import { Redis } from 'ioredis';

import { TaskManager } from '../../lib/core/index.js';
import { parseOptions, toolRedis, wholeNumber } from '../cli.js';
import { exitOnSignals } from '../exit-on-signals.js';

exitOnSignals();

const values = parseOptions('soak', { jobs: { type: 'string', default: '100000' } });
const total = wholeNumber('soak', 'jobs', values.jobs);
const redis = await toolRedis('soak');
const db = new Redis(redis.url);
const tasks = TaskManager.init({ db, consumer: { concurrency: 50 } });
let done = 0;
await tasks.registerHandler({ event: 'soak', handler: () => void (done += 1) });
await tasks.start();

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const usedMemory = async () =>
  Number(/used_memory:(\d+)/.exec(await db.info('memory'))?.[1]);
console.log('jobs done   heap MB   redis MB   completed kept');
// A row every tenth of the way (whatever --jobs is), and always at the end.
let nextRow = total / 10;
for (let sent = 0; sent < total;) {
  const batch = Math.min(1000, total - sent, Math.max(1, Math.ceil(nextRow - sent)));
  await tasks.emitBulk(
    Array.from({ length: batch }, (_, i) => ({ event: 'soak', data: { n: sent + i } })),
  );
  sent += batch;
  while (done < sent - 5000) await new Promise((resolve) => setTimeout(resolve, 5));
  if (sent >= nextRow || sent === total) {
    while (nextRow <= sent) nextRow += total / 10;
    await tasks.waitUntilIdle();
    global.gc?.();
    const { completed } = await tasks.admin.getQueueStats('default');
    console.log(
      `${String(done).padStart(9)}   ${mb(process.memoryUsage().heapUsed).padStart(7)}   ` +
        `${mb(await usedMemory()).padStart(8)}   ${String(completed).padStart(14)}`,
    );
  }
}
await tasks.stop();
db.disconnect();
await redis.kill();
