import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { UnrecoverableError } from '../../lib/core/index.js';
import { next, setup } from '../helpers.js';

describe('policies', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });
  afterEach(() => env.cleanup());

  describe('priority', () => {
    it('runs higher priorities first across the whole queue, FIFO within one', async () => {
      const tm = env.manager();
      const order: string[] = [];
      await tm.registerHandler<{ p: number; n: number }>({
        event: 'e',
        handler: (job) => void order.push(`${job.data.p}:${job.data.n}`),
      });

      const priorities = [0, 10, -5, 3];
      const expected = new Map<number, string[]>(priorities.map((p) => [p, []]));
      for (let n = 0; n < 60; n += 1) {
        const p = priorities[n % 4];
        await tm.emit({
          event: 'e',
          data: { p, n },
          options: p === 0 ? {} : { priority: p },
        });
        expected.get(p)!.push(`${p}:${n}`);
      }
      await tm.start();
      await tm.waitUntilIdle();

      expect(order).toEqual([10, 3, 0, -5].flatMap((p) => expected.get(p)!));
    });

    it('takes the priority from the handler when emit gives none', async () => {
      const tm = env.manager();
      const order: string[] = [];
      await tm.registerHandler({ event: 'low', handler: () => void order.push('low') });
      await tm.registerHandler({
        event: 'urgent',
        options: { priority: 5 },
        handler: () => void order.push('urgent'),
      });

      await tm.emit({ event: 'low' });
      await tm.emit({ event: 'urgent' });
      await tm.start();
      await tm.waitUntilIdle();

      expect(order).toEqual(['urgent', 'low']);
    });
  });

  describe('delay', () => {
    it('runs a delayed job at or after its time, promptly, showing it delayed meanwhile', async () => {
      const tm = env.manager();
      const ran = next(tm, 'completed');
      let ranAt = 0;
      await tm.registerHandler({ event: 'e', handler: () => void (ranAt = Date.now()) });
      await tm.start();

      const due = Date.now() + 400;
      const id = await tm.emit({ event: 'e', options: { delayUntil: new Date(due) } });
      expect((await tm.admin.getJob('default', id))?.state).toBe('delayed');
      expect(await tm.admin.getQueueStats('default')).toMatchObject({
        delayed: 1,
        waiting: 0,
      });
      expect(
        (await tm.admin.listJobs('default', 'delayed')).map((job) => job.id),
      ).toEqual([id]);

      await ran;
      expect(ranAt).toBeGreaterThanOrEqual(due);
      expect(ranAt - due).toBeLessThan(300);
    });

    it('takes delayMs from emit or from the handler', async () => {
      const tm = env.manager();
      await tm.registerHandler({
        event: 'later',
        options: { delayMs: 60_000 },
        handler: () => 1,
      });

      const fromHandler = await tm.emit({ event: 'later' });
      const fromEmit = await tm.emit({ event: 'other', options: { delayMs: 30_000 } });
      const overridden = await tm.emit({ event: 'later', options: { delayMs: 0 } });

      expect((await tm.admin.getJob('default', fromHandler))?.state).toBe('delayed');
      expect((await tm.admin.getJob('default', fromEmit))?.state).toBe('delayed');
      expect((await tm.admin.getJob('default', overridden))?.state).toBe('waiting');
    });

    it('keeps the stream empty while jobs wait for their time', async () => {
      const tm = env.manager();
      await tm.emitBulk(
        Array.from({ length: 20 }, () => ({ event: 'e', options: { delayMs: 60_000 } })),
      );

      expect(await env.db.xlen(`{${env.prefix}:default}:stream`)).toBe(0);
    });
  });

  describe('retries and dead letters', () => {
    it('makes retryCount 2 three attempts spaced by retryDelayMs, then fails and dead-letters', async () => {
      const tm = env.manager();
      const attempts: { attempt: number; at: number }[] = [];
      await tm.registerHandler({
        event: 'e',
        options: { retryCount: 2, retryDelayMs: 150 },
        handler: (job) => {
          attempts.push({ attempt: job.attempt, at: Date.now() });
          throw new Error(`boom ${job.attempt}`);
        },
      });
      await tm.start();

      const failed = next(tm, 'failed');
      const id = await tm.emit({ event: 'e', data: { x: 1 } });
      await failed;

      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(150);
      expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(150);
      const record = await tm.admin.getJob('default', id);
      expect(record).toMatchObject({ state: 'failed', attempt: 3, error: 'boom 3' });
      const letters = await tm.admin.listDeadLetters('default');
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        jobId: id,
        reason: 'failed',
        error: 'boom 3',
        attempts: 3,
      });
      expect(letters[0].data).toEqual({ x: 1 });
    });

    it('keeps each attempt number and error on the job', async () => {
      const tm = env.manager();
      await tm.registerHandler({
        event: 'e',
        handler: (job) => {
          throw new Error(`boom ${job.attempt}`);
        },
      });
      await tm.start();

      const id = await tm.emit({ event: 'e', options: { retryCount: 1 } });
      await next(tm, 'failed');

      const record = await env.db.hget(`{${env.prefix}:default}:job:${id}`, 'errors');
      expect(JSON.parse(record!)).toMatchObject([
        { attempt: 1, message: 'boom 1' },
        { attempt: 2, message: 'boom 2' },
      ]);
    });

    it('replays a dead-lettered job with a fresh retry budget', async () => {
      const tm = env.manager();
      let calls = 0;
      await tm.registerHandler({
        event: 'e',
        options: { retryCount: 1 },
        handler: () => {
          calls += 1;
          if (calls <= 2) throw new Error('not yet');
          return 'done';
        },
      });
      await tm.start();
      const id = await tm.emit({ event: 'e' });
      await next(tm, 'failed');
      const [letter] = await tm.admin.listDeadLetters('default');

      const completed = next(tm, 'completed');
      expect(await tm.admin.replayDeadLetter('default', letter.entryId)).toBe(id);
      const [job] = await completed;

      expect(job.attempt).toBe(1);
      expect(await tm.admin.getJob('default', id)).toMatchObject({
        state: 'completed',
        result: 'done',
      });
      expect(await tm.admin.listDeadLetters('default')).toEqual([]);
    });

    it('ends the job at once on UnrecoverableError', async () => {
      const tm = env.manager();
      let calls = 0;
      await tm.registerHandler({
        event: 'e',
        options: { retryCount: 5 },
        handler: () => {
          calls += 1;
          throw new UnrecoverableError('card declined');
        },
      });
      await tm.start();

      const id = await tm.emit({ event: 'e' });
      await next(tm, 'failed');

      expect(calls).toBe(1);
      expect(await tm.admin.getJob('default', id)).toMatchObject({
        state: 'failed',
        attempt: 1,
      });
    });

    it('waits exponentially, or as a backoff function says', async () => {
      const tm = env.manager();
      const gaps: number[] = [];
      let last = 0;
      const seenArgs: [number, string][] = [];
      await tm.registerHandler({
        event: 'exp',
        options: { retryCount: 2, backoff: { type: 'exponential', delayMs: 100 } },
        handler: () => {
          if (last) gaps.push(Date.now() - last);
          last = Date.now();
          throw new Error('x');
        },
      });
      await tm.registerHandler({
        event: 'fn',
        options: {
          retryCount: 1,
          backoff: (attempt, error) => {
            seenArgs.push([attempt, (error as Error).message]);
            return 10;
          },
        },
        handler: () => {
          throw new Error('fn failed');
        },
      });
      await tm.start();

      const bothFailed = new Promise<void>((resolve) => {
        let n = 0;
        tm.on('failed', () => ++n === 2 && resolve());
      });
      await tm.emit({ event: 'exp' });
      await tm.emit({ event: 'fn' });
      await bothFailed;

      expect(gaps[0]).toBeGreaterThanOrEqual(100);
      expect(gaps[1]).toBeGreaterThanOrEqual(200);
      expect(seenArgs).toEqual([[1, 'fn failed']]);
    });

    it('retries a failed job from the admin API', async () => {
      const tm = env.manager();
      let fail = true;
      await tm.registerHandler({
        event: 'e',
        handler: () => {
          if (fail) throw new Error('down');
        },
      });
      await tm.start();
      const id = await tm.emit({ event: 'e' });
      await next(tm, 'failed');

      fail = false;
      const completed = next(tm, 'completed');
      expect(await tm.admin.retryJob('default', id)).toBe(true);
      await completed;

      expect((await tm.admin.getJob('default', id))?.state).toBe('completed');
      expect(await tm.admin.retryJob('default', id)).toBe(false);
    });

    it('fails an attempt that runs past timeoutMs, then retries it', async () => {
      const tm = env.manager();
      const attempts: number[] = [];
      await tm.registerHandler({
        event: 'e',
        options: { timeoutMs: 50, retryCount: 1 },
        handler: async (job) => {
          attempts.push(job.attempt);
          if (job.attempt === 1) await new Promise((resolve) => setTimeout(resolve, 200));
        },
      });
      await tm.start();

      const id = await tm.emit({ event: 'e' });
      await next(tm, 'completed');

      expect(attempts).toEqual([1, 2]);
      const errors = await env.db.hget(`{${env.prefix}:default}:job:${id}`, 'errors');
      expect(errors).toContain('attempt timed out after 50 ms');
    });
  });

  describe('admin controls', () => {
    it('holds jobs while paused and runs each once after resume', async () => {
      const tm = env.manager();
      const ran: number[] = [];
      await tm.registerHandler<number>({
        event: 'e',
        handler: (job) => void ran.push(job.data),
      });
      await tm.start();
      await tm.emit({ event: 'e', data: 0 });
      await tm.waitUntilIdle();

      await tm.admin.pause('default');
      await tm.emitBulk([1, 2, 3].map((data) => ({ event: 'e', data })));
      await tm.emit({ event: 'e', data: 4, options: { priority: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ran).toEqual([0]);
      expect(await tm.admin.getQueueStats('default')).toMatchObject({
        paused: true,
        waiting: 4,
      });

      await tm.admin.resume('default');
      await tm.waitUntilIdle();

      expect(ran).toEqual([0, 4, 1, 2, 3]);
      expect((await tm.admin.getQueueStats('default')).paused).toBe(false);
    });

    it('cancels a waiting or a delayed job, but not a finished one', async () => {
      const tm = env.manager();
      const ran: string[] = [];
      await tm.registerHandler({ event: 'e', handler: (job) => void ran.push(job.id) });
      const waiting = await tm.emit({ event: 'e' });
      const delayed = await tm.emit({ event: 'e', options: { delayMs: 100 } });
      const kept = await tm.emit({ event: 'e' });

      expect(await tm.admin.cancelJob('default', waiting)).toBe(true);
      expect(await tm.admin.cancelJob('default', delayed)).toBe(true);
      await tm.start();
      await tm.waitUntilIdle();
      await new Promise((resolve) => setTimeout(resolve, 200));

      expect(ran).toEqual([kept]);
      expect(await tm.admin.getJob('default', waiting)).toBeNull();
      expect(await tm.admin.cancelJob('default', kept)).toBe(false);
      expect((await tm.admin.getQueueStats('default')).deadLettered).toBe(0);
    });

    it('cancels a job waiting again after a retry, long after it was created', async () => {
      const tm = env.manager();
      let runs = 0;
      await tm.registerHandler({
        event: 'e',
        handler: () => {
          runs += 1;
          throw new Error('fails');
        },
      });
      await tm.start();
      const failed = next(tm, 'failed');
      const id = await tm.emit({ event: 'e' });
      await failed;
      await tm.stop();
      await new Promise((resolve) => setTimeout(resolve, 50));

      expect(await tm.admin.retryJob('default', id)).toBe(true);
      expect(await tm.admin.cancelJob('default', id)).toBe(true);
      expect(await env.db.xlen(`{${env.prefix}:default}:stream`)).toBe(0);
      await tm.start();
      await tm.waitUntilIdle();
      expect(runs).toBe(1);
      expect((await tm.admin.getQueueStats('default')).deadLettered).toBe(0);
    });

    it('purges the dead-letter queue', async () => {
      const tm = env.manager();
      await tm.emitBulk([{ event: 'nobody' }, { event: 'nobody' }]);
      await tm.registerHandler({ event: 'x', handler: () => 1 });
      await tm.start();
      await tm.waitUntilIdle();

      expect(await tm.admin.purgeDeadLetters('default')).toBe(2);
      expect(await tm.admin.listDeadLetters('default')).toEqual([]);
    });
  });
});
