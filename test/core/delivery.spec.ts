import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';

import { TaskManager } from '../../lib/core/index.js';
import { eventually, freshPrefix, next, REDIS_URL, setup } from '../helpers.js';
import { ThrowawayRedis } from '../redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('delivery through crashes and faults', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });
  afterEach(() => env.cleanup());

  const stream = () => `{${env.prefix}:default}:stream`;

  /** Delivers every waiting entry to a consumer that then "dies" without acknowledging. */
  async function deliverToDeadConsumer(): Promise<string[]> {
    await env.db
      .xgroup('CREATE', stream(), 'remq', '0', 'MKSTREAM')
      .catch(() => undefined);
    const reply = (await env.db.xreadgroup(
      'GROUP',
      'remq',
      'dead-consumer',
      'COUNT',
      100,
      'STREAMS',
      stream(),
      '>',
    )) as [string, [string, string[]][]][];
    return reply[0][1].map(([id]) => id);
  }

  it('reclaims and runs jobs left pending by a consumer that died', async () => {
    const tm = env.manager({ consumer: { claim: { minIdleMs: 100 } } });
    const ran: string[] = [];
    await tm.registerHandler({ event: 'e', handler: (job) => void ran.push(job.id) });
    const ids = await tm.emitBulk([{ event: 'e' }, { event: 'e' }, { event: 'e' }]);
    await deliverToDeadConsumer();

    await tm.start();
    await tm.waitUntilIdle();

    expect(ran.sort()).toEqual([...ids].sort());
  });

  it('renews the lease of a long job so another consumer does not take it', async () => {
    const settings = { consumer: { claim: { minIdleMs: 150 } } };
    const a = env.manager(settings);
    const b = env.manager(settings);
    let runs = 0;
    const handler = async () => {
      runs += 1;
      await sleep(700);
    };
    await a.registerHandler({ event: 'slow', handler });
    await b.registerHandler({ event: 'slow', handler });
    await a.start();
    await b.start();

    await a.emit({ event: 'slow' });
    await sleep(100);
    await a.waitUntilIdle();

    expect(runs).toBe(1);
  });

  it('dead-letters an entry delivered too many times instead of looping', async () => {
    const tm = env.manager({ consumer: { claim: { minIdleMs: 50, maxDeliveries: 3 } } });
    const ran: string[] = [];
    await tm.registerHandler({ event: 'e', handler: (job) => void ran.push(job.id) });
    const id = await tm.emit({ event: 'e' });
    const [entry] = await deliverToDeadConsumer();
    for (let i = 0; i < 3; i += 1) {
      await env.db.xclaim(stream(), 'remq', `dead-${i}`, 0, entry);
    }

    const lettered = next(tm, 'dead-lettered');
    await tm.start();
    const [letter] = await lettered;

    expect(letter.jobId).toBe(id);
    expect(letter.reason).toMatch(/^delivered 5 times \(claim.maxDeliveries is 3\)$/);
    expect(ran).toEqual([]);
    expect((await tm.admin.getJob('default', id))?.state).toBe('failed');
  });

  it('does not cancel a job whose entry a consumer has read: it runs, nothing is dead-lettered', async () => {
    const tm = env.manager({ consumer: { claim: { minIdleMs: 100 } } });
    const ran: string[] = [];
    await tm.registerHandler({ event: 'e', handler: (job) => void ran.push(job.id) });
    const id = await tm.emit({ event: 'e' });
    // Read, as a consumer's blocking read does, but not yet marked processing.
    expect(await deliverToDeadConsumer()).toHaveLength(1);
    expect((await tm.admin.getJob('default', id))?.state).toBe('waiting');

    expect(await tm.admin.cancelJob('default', id)).toBe(false);
    await tm.start();
    await eventually(async () => expect(ran).toEqual([id]), 5000);
    const stats = await tm.admin.getQueueStats('default');
    expect(stats).toMatchObject({ completed: 1, deadLettered: 0 });
  });

  it('skips a pending entry that was deleted and goes on', async () => {
    const tm = env.manager({ consumer: { claim: { minIdleMs: 50 } } });
    const ran: string[] = [];
    await tm.registerHandler({ event: 'e', handler: (job) => void ran.push(job.id) });
    const [gone, kept] = await tm.emitBulk([{ event: 'e' }, { event: 'e' }]);
    const [goneEntry] = await deliverToDeadConsumer();
    await env.db.xdel(stream(), goneEntry);

    await tm.start();
    await eventually(async () => expect(ran).toEqual([kept]));
    expect(ran).not.toContain(gone);
  });

  it('resumes after its consumer group is destroyed (NOGROUP)', async () => {
    const tm = env.manager();
    const ran: number[] = [];
    await tm.registerHandler<number>({
      event: 'e',
      handler: (job) => void ran.push(job.data),
    });
    await tm.start();
    await tm.emit({ event: 'e', data: 1 });
    await tm.waitUntilIdle();

    await env.db.xgroup('DESTROY', stream(), 'remq');
    await tm.emit({ event: 'e', data: 2 });
    await eventually(async () => expect(ran).toEqual([1, 2]), 5000);
  });

  it('records a running job whose consumer group is destroyed meanwhile', async () => {
    const tm = env.manager();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const attempts: number[] = [];
    await tm.registerHandler({
      event: 'e',
      options: { retryCount: 2 },
      handler: async (job) => {
        attempts.push(job.attempt);
        if (job.attempt > 1) return;
        started();
        await held;
        throw new Error('first attempt fails');
      },
    });
    await tm.start();
    const id = await tm.emit({ event: 'e' });
    await running;

    await env.db.xgroup('DESTROY', stream(), 'remq');
    release();

    await eventually(
      async () => expect((await tm.admin.getJob('default', id))?.state).toBe('completed'),
      5000,
    );
    expect(attempts).toEqual([1, 2]);
  });

  it('removes finished entries from the stream, never a pending or undelivered one', async () => {
    const tm = env.manager({ consumer: { concurrency: 20 } });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const runs = new Map<number, number>();
    await tm.registerHandler<number>({
      event: 'e',
      handler: async (job) => {
        runs.set(job.data, (runs.get(job.data) ?? 0) + 1);
        if (job.data === 100) await held;
      },
    });
    const ids = await tm.emitBulk(
      Array.from({ length: 300 }, (_, n) => ({ event: 'e', data: n })),
    );
    await tm.start();

    // Batches finish in full around the held job: below it, above it, and
    // while undelivered entries still wait behind the group's position.
    await eventually(async () => expect(runs.size).toBe(300), 5000);
    await eventually(async () => {
      const stats = await tm.admin.getQueueStats('default');
      expect(stats).toMatchObject({ waiting: 0, processing: 1, completed: 299 });
      expect(await env.db.xlen(stream())).toBe(1);
    });

    release();
    await tm.waitUntilIdle();
    expect(await env.db.xlen(stream())).toBe(0);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    const states = await Promise.all(
      ids.map(async (id) => (await tm.admin.getJob('default', id))?.state),
    );
    expect(new Set(states)).toEqual(new Set(['completed']));
  });

  it('keeps the newest completed jobs the retention policy asks for, and deletes the rest', async () => {
    const tm = env.manager({
      consumer: { concurrency: 20 },
      retention: { completed: { count: 5 } },
    });
    await tm.registerHandler<number>({
      event: 'e',
      handler: async (job) => {
        await job.log(`job ${job.data}`);
      },
    });
    const ids = await tm.emitBulk(
      Array.from({ length: 250 }, (_, n) => ({ event: 'e', data: n })),
    );
    await tm.start();
    await tm.waitUntilIdle();

    // Trimmed once more than 100 over the count, in one script call.
    const completed = `{${env.prefix}:default}:completed`;
    await eventually(async () => expect(await env.db.zcard(completed)).toBeLessThan(106));
    const kept = new Set(await env.db.zrange(completed, 0, -1));
    expect(kept.size).toBeGreaterThanOrEqual(5);
    for (const id of ids) {
      const record = await tm.admin.getJob('default', id);
      if (kept.has(id)) expect(record?.logs[0]).toContain(`job ${ids.indexOf(id)}`);
      else expect(record).toBeNull();
      if (!kept.has(id))
        expect(await env.db.exists(`{${env.prefix}:default}:logs:${id}`)).toBe(0);
    }
  });

  it('deletes completed jobs older than the retention age', async () => {
    const run = async (data: string) => {
      const tm = env.manager({ retention: { completed: { ageMs: 100 } } });
      await tm.registerHandler({ event: 'e', handler: () => undefined });
      await tm.start();
      const id = await tm.emit({ event: 'e', data });
      await tm.waitUntilIdle();
      await tm.stop();
      return { tm, id };
    };
    const old = await run('old');
    await sleep(200);
    // A fresh process checks ages as soon as it finishes its first job.
    const { tm, id } = await run('new');
    await eventually(async () =>
      expect(await tm.admin.getJob('default', old.id)).toBeNull(),
    );
    expect((await tm.admin.getJob('default', id))?.state).toBe('completed');
  });

  it('stop waits for the retention sweep under way: no trim runs on after it', async () => {
    const tm = env.manager({ retention: { completed: { count: 5 } } });
    await tm.registerHandler({ event: 'e', handler: () => undefined });
    // Enough finished ids that the sweep of the first read takes a while.
    const completed = `{${env.prefix}:default}:completed`;
    for (let i = 0; i < 100_000; i += 10_000) {
      const args = Array.from({ length: 10_000 }, (_, j) => [1, `old-${i + j}`]).flat();
      await env.db.zadd(completed, ...args);
    }
    await tm.start();
    await tm.emit({ event: 'e' });
    await next(tm, 'completed');
    expect(await env.db.zcard(completed)).toBeGreaterThan(1000);

    await tm.stop();

    // Every old id aged out; the job just completed is kept.
    expect(await env.db.zcard(completed)).toBe(1);
  });

  it('stop lets jobs in flight finish and emit, and leaves the rest for others', async () => {
    const tm = env.manager({ consumer: { concurrency: 2, claim: { minIdleMs: 100 } } });
    const finished: number[] = [];
    await tm.registerHandler<number>({
      event: 'work',
      handler: async (job, ctx) => {
        await sleep(job.data === 1 ? 100 : 2000);
        await ctx.emit({ event: 'after', data: job.data });
        finished.push(job.data);
      },
    });
    await tm.emitBulk([1, 2].map((data) => ({ event: 'work', data })));
    await tm.start();
    await sleep(30);

    await tm.stop({ timeoutMs: 300 });
    expect(finished).toEqual([1]);
    expect((await tm.admin.getQueueStats('default')).waiting).toBe(1);

    const other = env.manager({ consumer: { claim: { minIdleMs: 100 } } });
    const rerun: number[] = [];
    await other.registerHandler<number>({
      event: 'work',
      handler: (job) => void rerun.push(job.data),
    });
    await other.registerHandler({ event: 'after', handler: () => undefined });
    await other.start();
    await eventually(async () => expect(rerun).toContain(2), 5000);
  });

  it('opens a fixed number of connections: one for commands, one per consumed queue', async () => {
    const name = `conn-${env.prefix}`;
    const db = new Redis(REDIS_URL, { connectionName: name });
    const tm = TaskManager.init({
      db,
      prefix: freshPrefix(),
      consumer: { concurrency: 20 },
    });
    for (const [event, queue] of [
      ['a', 'q1'],
      ['b', 'q1'],
      ['c', 'q2'],
    ]) {
      await tm.registerHandler({ event, queue, handler: () => sleep(5) });
    }
    await tm.start();
    await tm.emitBulk(
      Array.from({ length: 300 }, (_, i) => ({
        event: 'abc'[i % 3],
        queue: i % 3 === 2 ? 'q2' : 'q1',
      })),
    );
    await Promise.all([tm.waitUntilIdle('q1'), tm.waitUntilIdle('q2')]);

    const clients = String(await env.db.client('LIST'))
      .split('\n')
      .filter((line) => line.includes(`name=${name}`));
    expect(clients).toHaveLength(3);
    await tm.stop();
    await tm.admin.getQueues().then(async () => {
      const keys = await db.keys(`*${tm.prefix}*`);
      if (keys.length) await db.del(...keys);
    });
    db.disconnect();
  });
});

describe('Redis restarts', () => {
  it('keeps consuming after Redis restarts and loses its data', async () => {
    const server = await ThrowawayRedis.start();
    const db = new Redis(server.url, { maxRetriesPerRequest: null });
    const tm = TaskManager.init({ db, consumer: { read: { blockMs: 500 } } });
    const errors: unknown[] = [];
    tm.on('error', (error) => errors.push(error));
    const ran: number[] = [];
    await tm.registerHandler<number>({
      event: 'e',
      handler: (job) => void ran.push(job.data),
    });
    await tm.start();
    try {
      await tm.emit({ event: 'e', data: 1 });
      await eventually(async () => expect(ran).toEqual([1]));

      await server.kill();
      await sleep(300);
      await server.up();

      await eventually(async () => {
        await tm.emit({ event: 'e', data: 2 });
        await eventually(async () => expect(ran).toContain(2), 1500);
      }, 10_000);
    } finally {
      await tm.stop({ timeoutMs: 500 });
      db.disconnect();
      await server.kill();
    }
  }, 30_000);
});
