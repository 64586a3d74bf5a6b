import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster } from 'ioredis';

import { TaskManager, type Job } from '../../lib/core/index.js';
import { ThrowawayCluster } from '../cluster.js';
import { eventually } from '../helpers.js';

/** Every script declares its keys under one hash tag per queue, so all of it runs on Cluster. */
describe('Redis Cluster', () => {
  let cluster: ThrowawayCluster;
  let db: Cluster;
  let tasks: TaskManager;

  beforeAll(async () => {
    cluster = await ThrowawayCluster.start();
    db = new Cluster(cluster.startupNodes);
    tasks = TaskManager.init({ db, consumer: { read: { blockMs: 300 } } });
    tasks.on('error', () => undefined);
  }, 30_000);

  afterAll(async () => {
    await tasks.stop({ timeoutMs: 1000 });
    db.disconnect();
    await cluster.stop();
  });

  it('runs jobs of several queues with priorities, delays, retries and admin calls', async () => {
    const ran: string[] = [];
    let flaky = 0;
    for (const queue of ['alpha', 'beta', 'gamma']) {
      await tasks.registerHandler<string>({
        event: 'e',
        queue,
        handler: (job: Job<string>) => void ran.push(`${queue}:${job.data}`),
      });
    }
    await tasks.registerHandler({
      event: 'flaky',
      queue: 'alpha',
      options: { retryCount: 1 },
      handler: () => {
        flaky += 1;
        if (flaky === 1) throw new Error('once');
      },
    });

    await tasks.emitBulk([
      { event: 'e', queue: 'alpha', data: 'low' },
      { event: 'e', queue: 'alpha', data: 'high', options: { priority: 5 } },
      { event: 'e', queue: 'beta', data: 'later', options: { delayMs: 200 } },
      { event: 'e', queue: 'gamma', data: 'now' },
      { event: 'flaky', queue: 'alpha' },
    ]);
    await tasks.start();

    await eventually(async () => expect(ran).toHaveLength(4), 5000);
    await eventually(async () => expect(flaky).toBe(2), 5000);
    expect(ran.indexOf('alpha:high')).toBeLessThan(ran.indexOf('alpha:low'));
    expect(await tasks.admin.getQueues()).toEqual(['alpha', 'beta', 'gamma']);
    expect(await tasks.admin.getQueueStats('alpha')).toMatchObject({
      completed: 3,
      failed: 0,
    });
  });
});
