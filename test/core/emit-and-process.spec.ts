import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import type { Job } from '../../lib/core/index.js';
import { next, setup } from '../helpers.js';

/** A promise with its resolve function, to hold a handler until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('emit and process', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });
  afterEach(() => env.cleanup());

  it('gives the handler the emitted data', async () => {
    const tm = env.manager();
    const seen: Job[] = [];
    await tm.registerHandler({
      event: 'send-email',
      queue: 'emails',
      handler: async (job) => void seen.push(job),
    });
    await tm.start();

    const completed = next(tm, 'completed');
    const id = await tm.emit({
      event: 'send-email',
      queue: 'emails',
      data: { to: 'a@b.c' },
    });
    await completed;

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      id,
      event: 'send-email',
      queue: 'emails',
      attempt: 1,
    });
    expect(seen[0].data).toEqual({ to: 'a@b.c' });
  });

  it('processes jobs emitted before start', async () => {
    const tm = env.manager();
    const data: unknown[] = [];
    await tm.registerHandler({ event: 'e', handler: (job) => void data.push(job.data) });
    await tm.emit({ event: 'e', data: 1 });
    await tm.emit({ event: 'e', data: 2 });

    await tm.start();
    await tm.waitUntilIdle();

    expect(data.sort()).toEqual([1, 2]);
  });

  it('returns one id per job from emitBulk, in order, and runs them all', async () => {
    const tm = env.manager();
    const seen = new Map<string, unknown>();
    await tm.registerHandler({
      event: 'a',
      queue: 'q1',
      handler: (job) => void seen.set(job.id, job.data),
    });
    await tm.registerHandler({
      event: 'b',
      queue: 'q2',
      handler: (job) => void seen.set(job.id, job.data),
    });

    const inputs = Array.from({ length: 30 }, (_, i) => ({
      event: i % 2 ? 'a' : 'b',
      queue: i % 2 ? 'q1' : 'q2',
      data: { i },
      options: i === 7 ? { id: 'chosen-id' } : undefined,
    }));
    const ids = await tm.emitBulk(inputs);
    await tm.start();
    await Promise.all([tm.waitUntilIdle('q1'), tm.waitUntilIdle('q2')]);

    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(ids[7]).toBe('chosen-id');
    ids.forEach((id, i) => expect(seen.get(id)).toEqual({ i }));
  });

  it('treats a repeated emit of an unfinished job id as a no-op', async () => {
    const tm = env.manager();
    const first = await tm.emit({
      event: 'e',
      data: 'first',
      options: { id: 'order-1' },
    });
    const second = await tm.emit({
      event: 'e',
      data: 'second',
      options: { id: 'order-1' },
    });

    expect(second).toBe(first);
    expect((await tm.admin.getQueueStats('default')).waiting).toBe(1);
    expect((await tm.admin.getJob('default', 'order-1'))?.data).toBe('first');
  });

  it('shows waiting, processing then completed through the admin API', async () => {
    const tm = env.manager();
    const held = gate();
    const started = gate();
    await tm.registerHandler({
      event: 'e',
      handler: async () => {
        started.open();
        await held.opened;
        return { ok: true };
      },
    });
    const id = await tm.emit({ event: 'e', data: { n: 1 } });

    expect((await tm.admin.getJob('default', id))?.state).toBe('waiting');
    expect((await tm.admin.listJobs('default', 'waiting')).map((job) => job.id)).toEqual([
      id,
    ]);
    expect(await tm.admin.getQueueStats('default')).toMatchObject({
      waiting: 1,
      processing: 0,
    });

    await tm.start();
    await started.opened;
    expect((await tm.admin.getJob('default', id))?.state).toBe('processing');
    expect(
      (await tm.admin.listJobs('default', 'processing')).map((job) => job.id),
    ).toEqual([id]);
    expect(await tm.admin.getQueueStats('default')).toMatchObject({
      waiting: 0,
      processing: 1,
    });

    const completed = next(tm, 'completed');
    held.open();
    await completed;
    const job = await tm.admin.getJob('default', id);
    expect(job).toMatchObject({ state: 'completed', attempt: 1, result: { ok: true } });
    // The finish time is the job's score in the completed set, after it ran.
    const score = await env.db.zscore(`{${env.prefix}:default}:completed`, id);
    expect(job?.finishedAt?.getTime()).toBe(Number(score));
    expect(job!.finishedAt!.getTime()).toBeGreaterThanOrEqual(
      job!.processedAt!.getTime(),
    );
    expect((await tm.admin.listJobs('default', 'completed')).map((j) => j.id)).toEqual([
      id,
    ]);
    expect(await tm.admin.getQueueStats('default')).toMatchObject({
      waiting: 0,
      processing: 0,
      completed: 1,
    });
    expect(await tm.admin.getQueues()).toEqual(['default']);
  });

  it('leaves a job whose handler throws failed, with its error recorded', async () => {
    const tm = env.manager();
    await tm.registerHandler({
      event: 'e',
      handler: () => {
        throw new Error('smtp refused');
      },
    });
    await tm.start();

    const failed = next(tm, 'failed');
    const id = await tm.emit({ event: 'e' });
    const [job, error] = await failed;

    expect(job.id).toBe(id);
    expect((error as Error).message).toBe('smtp refused');
    const record = await tm.admin.getJob('default', id);
    expect(record).toMatchObject({ state: 'failed', error: 'smtp refused', attempt: 1 });
    expect(record?.stack).toContain('smtp refused');
    const score = await env.db.zscore(`{${env.prefix}:default}:failed`, id);
    expect(record?.finishedAt?.getTime()).toBe(Number(score));
    expect(await tm.admin.getQueueStats('default')).toMatchObject({
      failed: 1,
      deadLettered: 1,
    });
  });

  it('records what a handler throws that is not an Error', async () => {
    const tm = env.manager();
    await tm.registerHandler({
      event: 'e',
      handler: () => {
        throw { code: 42 };
      },
    });
    await tm.start();

    const id = await tm.emit({ event: 'e' });
    await tm.waitUntilIdle();

    expect((await tm.admin.getJob('default', id))?.error).toBe(
      'non-Error thrown: {"code":42}',
    );
  });

  it('fails a job whose result cannot be stored', async () => {
    const tm = env.manager();
    await tm.registerHandler({ event: 'e', handler: () => ({ big: 1n }) });
    await tm.start();

    const id = await tm.emit({ event: 'e' });
    await tm.waitUntilIdle();

    const record = await tm.admin.getJob('default', id);
    expect(record?.state).toBe('failed');
    expect(record?.error).toMatch(/^result must be JSON-safe/);
  });

  it('chains a second job through ctx.emit', async () => {
    const tm = env.manager({ ctx: { tenant: 'acme' } });
    const seen: string[] = [];
    await tm.registerHandler<{ to: string }>({
      event: 'signup',
      handler: async (job, ctx) => {
        await ctx.emit({
          event: 'welcome',
          data: { to: job.data.to, tenant: ctx.tenant },
        });
      },
    });
    await tm.registerHandler<{ to: string; tenant: string }>({
      event: 'welcome',
      handler: (job) => void seen.push(`${job.data.tenant}:${job.data.to}`),
    });
    await tm.start();

    const welcomed = new Promise<void>((resolve) =>
      tm.on('completed', (job: Job) => job.event === 'welcome' && resolve()),
    );
    await tm.emit({ event: 'signup', data: { to: 'x@y.z' } });
    await welcomed;

    expect(seen).toEqual(['acme:x@y.z']);
  });

  it('runs exactly `concurrency` jobs at once', async () => {
    const tm = env.manager();
    const held = gate();
    let running = 0;
    let most = 0;
    let reached!: () => void;
    const allStarted = new Promise<void>((resolve) => (reached = resolve));
    await tm.registerHandler({
      event: 'e',
      options: { concurrency: 4 },
      handler: async () => {
        running += 1;
        most = Math.max(most, running);
        if (running === 4) reached();
        await held.opened;
        running -= 1;
      },
    });
    await tm.emitBulk(Array.from({ length: 10 }, () => ({ event: 'e' })));
    await tm.start();

    await allStarted;
    expect(await tm.admin.getQueueStats('default')).toMatchObject({
      processing: 4,
      waiting: 6,
    });
    held.open();
    await tm.waitUntilIdle();

    expect(most).toBe(4);
    expect((await tm.admin.getQueueStats('default')).completed).toBe(10);
  });

  it('fails a job with no handler in this process, naming event and queue, and goes on', async () => {
    const tm = env.manager();
    const done: string[] = [];
    await tm.registerHandler({
      event: 'known',
      queue: 'q',
      handler: (job) => void done.push(job.id),
    });
    await tm.start();

    const orphan = await tm.emit({ event: 'unknown', queue: 'q' });
    const after = await tm.emit({ event: 'known', queue: 'q' });
    await tm.waitUntilIdle('q');

    const record = await tm.admin.getJob('q', orphan);
    expect(record?.state).toBe('failed');
    expect(record?.error).toBe(
      "no handler for event 'unknown' on queue 'q' in this process",
    );
    expect(done).toEqual([after]);
  });

  it('dead-letters a job whose stored data is not JSON, and goes on', async () => {
    const tm = env.manager();
    const done: string[] = [];
    await tm.registerHandler({ event: 'e', handler: (job) => void done.push(job.id) });
    const broken = await tm.emit({ event: 'e', data: { fine: true } });
    await env.db.hset(`{${env.prefix}:default}:job:${broken}`, 'data', '{not json');
    const after = await tm.emit({ event: 'e' });

    await tm.start();
    await tm.waitUntilIdle();

    expect(done).toEqual([after]);
    const record = await tm.admin.getJob('default', broken).catch(() => null);
    const [letter] = await tm.admin.listDeadLetters('default').catch(() => []);
    expect(letter?.reason ?? record?.error).toMatch(/could not be decoded/);
  });

  it('dead-letters a job record that names no event, and goes on', async () => {
    const tm = env.manager();
    const done: string[] = [];
    await tm.registerHandler({ event: 'e', handler: (job) => void done.push(job.id) });
    await env.db.hset(
      `{${env.prefix}:default}:job:odd`,
      'state',
      'waiting',
      'data',
      '{}',
    );
    await env.db.xadd(`{${env.prefix}:default}:stream`, '*', 'j', 'odd');
    const after = await tm.emit({ event: 'e' });

    await tm.start();
    await tm.waitUntilIdle();

    expect(done).toEqual([after]);
    const [letter] = await tm.admin.listDeadLetters('default');
    expect(letter).toMatchObject({ jobId: 'odd', reason: 'job odd has no event' });
    expect((await tm.admin.getJob('default', 'odd'))?.state).toBe('failed');
  });

  it('dead-letters a foreign stream entry and goes on', async () => {
    const tm = env.manager();
    const done: string[] = [];
    await tm.registerHandler({ event: 'e', handler: (job) => void done.push(job.id) });
    await tm.start();

    const stream = `{${env.prefix}:default}:stream`;
    await env.db.xadd(stream, '*', 'hello', 'world');
    const lost = await env.db.xadd(stream, '*', 'j', 'no-such-job');
    const id = await tm.emit({ event: 'e' });
    await tm.waitUntilIdle();

    expect(done).toEqual([id]);
    const letters = await env.db.xrange(`{${env.prefix}:default}:dlq`, '-', '+');
    const reasons = letters.map(([, fields]) => fields[fields.indexOf('reason') + 1]);
    expect(reasons).toEqual([
      'entry has no job id (field j)',
      'job no-such-job has no record',
    ]);
    expect(letters[1][1]).toContain(lost);
  });
});
