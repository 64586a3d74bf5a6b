import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import {
  TaskManager,
  ValidationError,
  type TaskManagerOptions,
} from '../../lib/core/index.js';
import { keysOf, setup } from '../helpers.js';

describe('bad input', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });
  afterEach(() => env.cleanup());

  it.each([
    ['NaN', { n: NaN }, "'n' is NaN"],
    ['Infinity', [1, Infinity], "'1' is Infinity"],
    ['a Map', { m: new Map([[1, 2]]) }, "'m' is a Map"],
    ['a Set', new Set([1]), 'the value is a Set'],
    ['a function inside', { f: () => 1 }, "'f' is a function"],
    ['undefined in an array', [1, undefined], "'1' of an array is undefined"],
  ])(
    'rejects data holding %s, which JSON would change silently',
    async (_, data, why) => {
      const tm = env.manager();

      await expect(tm.emit({ event: 'e', data })).rejects.toThrow(
        `data must be JSON-safe: ${why}`,
      );
      expect(await keysOf(env.db, env.prefix)).toEqual([]);
    },
  );

  it('keeps dates (as ISO strings) and drops undefined properties', async () => {
    const tm = env.manager();
    const at = new Date('2026-01-02T03:04:05.000Z');
    const id = await tm.emit({ event: 'e', data: { at, note: undefined } });

    expect((await tm.admin.getJob('default', id))?.data).toEqual({
      at: at.toISOString(),
    });
  });

  it.each([
    [{ delayMs: 10, delayUntil: Date.now() + 10 }, 'options.delayMs'],
    [{ repeat: { everyMs: 100 }, id: 'x' }, 'options.id'],
    [{ repeat: { everyMs: 100 }, delayMs: 5 }, 'options.delayMs'],
    [{ timeoutMs: 0 }, 'options.timeoutMs'],
    [{ repeat: { everyMs: 100, endDate: Date.now() - 1000 } }, 'options.repeat'],
  ])('rejects conflicting or empty options %j, naming %s', async (options, field) => {
    const tm = env.manager();

    await expect(tm.emit({ event: 'e', options })).rejects.toMatchObject({ field });
    expect(await keysOf(env.db, env.prefix)).toEqual([]);
  });

  it.each([
    [{ consumer: { concurrency: -1 } }, 'consumer.concurrency'],
    [{ consumer: { read: { count: 'abc' } } }, 'consumer.read.count'],
    [{ retention: { completed: { ageMs: 'x' } } }, 'retention.completed.ageMs'],
    [{ maxDataBytes: -1 }, 'maxDataBytes'],
    [{ prefx: 'typo' }, 'options.prefx'],
    [{ consumer: { claim: { maxDeliveries: 0 } } }, 'consumer.claim.maxDeliveries'],
  ])('TaskManager.init rejects %j, naming %s', (settings, field) => {
    const init = () =>
      TaskManager.init({ db: env.db, ...settings } as unknown as TaskManagerOptions);

    expect(init).toThrow(ValidationError);
    expect(init).toThrow(expect.objectContaining({ field }) as unknown as Error);
  });

  it('the admin API rejects a bad state, page or entry id, naming it', async () => {
    const tm = env.manager();
    const { admin } = tm;

    await expect(admin.listJobs('q', 'bogus' as 'waiting')).rejects.toMatchObject({
      field: 'state',
    });
    await expect(admin.listJobs('q', 'waiting', { limit: 0 })).rejects.toMatchObject({
      field: 'page.limit',
    });
    await expect(admin.listJobs('q', 'waiting', { offset: -1 })).rejects.toMatchObject({
      field: 'page.offset',
    });
    await expect(admin.replayDeadLetter('q', 'garbage')).rejects.toMatchObject({
      field: 'entryId',
    });
    await expect(admin.getJob('a{b}', '1')).rejects.toMatchObject({ field: 'queue' });
    await expect(admin.getQueueStats('a\u0000b')).rejects.toMatchObject({
      field: 'queue',
    });
  });
});

describe('policy interplay', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });
  afterEach(() => env.cleanup());

  it('returns each attempt and its error with the job record', async () => {
    const tm = env.manager();
    await tm.registerHandler({
      event: 'e',
      handler: (job) => {
        throw new Error(`attempt ${job.attempt}`);
      },
    });
    await tm.start();
    const failed = new Promise((resolve) => tm.once('failed', resolve));
    const id = await tm.emit({ event: 'e', options: { retryCount: 1 } });
    await failed;

    const record = await tm.admin.getJob('default', id);
    expect(record?.errors.map(({ attempt, message }) => ({ attempt, message }))).toEqual([
      { attempt: 1, message: 'attempt 1' },
      { attempt: 2, message: 'attempt 2' },
    ]);
    expect(record?.errors[0].at).toBeInstanceOf(Date);
  });

  it('records an error message holding a lone surrogate, and goes on', async () => {
    const tm = env.manager();
    await tm.registerHandler<string>({
      event: 'e',
      handler: (job) => {
        if (job.data === 'bad') throw new Error('broken \ud800 text');
        return `ok \udfff`;
      },
    });
    await tm.start();
    const bad = await tm.emit({ event: 'e', data: 'bad', options: { retryCount: 1 } });
    const good = await tm.emit({ event: 'e', data: 'good' });
    await tm.waitUntilIdle();

    const failed = await tm.admin.getJob('default', bad);
    expect(failed?.state).toBe('failed');
    expect(failed?.errors.map(({ message }) => message)).toEqual([
      'broken \ufffd text',
      'broken \ufffd text',
    ]);
    const completed = await tm.admin.getJob('default', good);
    expect(completed).toMatchObject({ state: 'completed', result: 'ok \udfff' });
  });

  it('shows when a delayed job is due', async () => {
    const tm = env.manager();
    const due = Date.now() + 60_000;
    const id = await tm.emit({ event: 'e', options: { delayUntil: due } });

    expect((await tm.admin.getJob('default', id))?.dueAt?.getTime()).toBe(due);
  });

  it('takes a new job when the one a throttle window kept was cancelled', async () => {
    const tm = env.manager();
    const options = { debounce: { windowMs: 5000, key: 'k' } };
    const first = await tm.emit({
      event: 'e',
      data: 1,
      options: { ...options, delayMs: 1000 },
    });
    expect(await tm.admin.cancelJob('default', first)).toBe(true);

    const second = await tm.emit({ event: 'e', data: 2, options });
    const third = await tm.emit({ event: 'e', data: 3, options });

    expect(second).not.toBe(first);
    expect(third).toBe(second);
    expect((await tm.admin.getJob('default', second))?.data).toBe(2);
  });

  it('cancelling a run of a schedule skips that run only', async () => {
    const tm = env.manager();
    const id = await tm.emit({ event: 'tick', options: { repeat: { everyMs: 60_000 } } });

    expect(await tm.admin.cancelJob('default', id)).toBe(true);

    const [schedule] = await tm.admin.listSchedules('default');
    expect(schedule.nextJobId).toBeDefined();
    expect(schedule.nextJobId).not.toBe(id);
    expect((await tm.admin.getJob('default', schedule.nextJobId!))?.state).toBe(
      'delayed',
    );
  });

  it("replaces a handler's schedule when its repeat options change", async () => {
    const before = env.manager();
    await before.registerHandler({
      event: 'h',
      options: { repeat: { everyMs: 60_000 } },
      handler: () => 1,
    });
    const after = env.manager();
    await after.registerHandler({
      event: 'h',
      options: { repeat: { everyMs: 30_000 } },
      handler: () => 1,
    });

    const schedules = await after.admin.listSchedules('default');
    expect(schedules).toHaveLength(1);
    expect(schedules[0].repeat).toEqual({ everyMs: 30_000 });
    expect((await after.admin.getQueueStats('default')).delayed).toBe(1);
  });
});
