import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import type { HandlerOptions, Job } from '../../lib/core/index.js';
import { eventually, setup } from '../helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Due time of an occurrence, from its id `repeat:<schedule>:<due>`. */
const dueOf = (id: string) => Number(id.slice(id.lastIndexOf(':') + 1));

function gaps(ids: string[]): number[] {
  const dues = ids.map(dueOf).sort((a, b) => a - b);
  return dues.slice(1).map((due, i) => due - dues[i]);
}

describe('repeat', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });
  afterEach(() => env.cleanup());

  it('runs each tick once across three instances, one of them restarting', async () => {
    const ticks: string[] = [];
    const crons: string[] = [];
    const instance = async () => {
      const tm = env.manager();
      await Promise.all([
        tm.registerHandler({
          event: 'tick',
          options: { repeat: { everyMs: 200 } },
          handler: (job) => void ticks.push(job.id),
        }),
        tm.registerHandler({
          event: 'cron',
          options: { repeat: { pattern: '* * * * * *' } },
          handler: (job) => void crons.push(job.id),
        }),
      ]);
      await tm.start();
      return tm;
    };

    const [, restarting] = await Promise.all([instance(), instance(), instance()]);
    await sleep(1200);
    await restarting.stop();
    await instance();
    await sleep(1500);

    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.length).toBeGreaterThanOrEqual(10);
    expect(new Set(gaps(ticks))).toEqual(new Set([200]));
    expect(new Set(crons).size).toBe(crons.length);
    expect(crons.length).toBeGreaterThanOrEqual(2);
    expect(new Set(gaps(crons))).toEqual(new Set([1000]));
    const schedules = await restarting.admin.listSchedules('default');
    expect(schedules.map((s) => s.event).sort()).toEqual(['cron', 'tick']);
  });

  it('keeps firing when runs fail', async () => {
    const tm = env.manager();
    let runs = 0;
    await tm.registerHandler({
      event: 'flaky',
      options: { repeat: { everyMs: 100 } },
      handler: () => {
        runs += 1;
        throw new Error('always');
      },
    });
    await tm.start();

    await eventually(async () => expect(runs).toBeGreaterThanOrEqual(4), 5000);
    expect((await tm.admin.listSchedules('default'))[0].nextJobId).toBeDefined();
  });

  it('stops after limit occurrences', async () => {
    const tm = env.manager();
    const ran: Job[] = [];
    await tm.registerHandler({ event: 'e', handler: (job) => void ran.push(job) });
    await tm.start();

    await tm.emit({
      event: 'e',
      data: { n: 1 },
      options: { repeat: { everyMs: 50, limit: 3 } },
    });
    await sleep(400);

    expect(ran).toHaveLength(3);
    expect(ran.map((job) => job.data)).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
    const [schedule] = await tm.admin.listSchedules('default');
    expect(schedule).toMatchObject({ count: 3, nextJobId: undefined });
  });

  it('lists a schedule with its next run, and removes it', async () => {
    const tm = env.manager();
    const id = await tm.emit({
      event: 'report',
      options: { repeat: { pattern: '0 0 9 * * 1', tz: 'Europe/Paris' } },
    });

    const [schedule] = await tm.admin.listSchedules('default');
    expect(schedule.nextJobId).toBe(id);
    expect(schedule.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
    expect((await tm.admin.getJob('default', id))?.state).toBe('delayed');

    expect(await tm.admin.removeSchedule('default', schedule.key)).toBe(true);
    expect(await tm.admin.listSchedules('default')).toEqual([]);
    expect(await tm.admin.getJob('default', id)).toBeNull();
    expect((await tm.admin.getQueueStats('default')).delayed).toBe(0);
  });

  it('registering the same schedule twice keeps one pending run', async () => {
    const a = env.manager();
    const b = env.manager();
    const options: HandlerOptions = { repeat: { everyMs: 60_000 } };
    await a.registerHandler({ event: 'e', options, handler: () => 1 });
    await b.registerHandler({ event: 'e', options, handler: () => 1 });

    expect((await a.admin.getQueueStats('default')).delayed).toBe(1);
  });

  it('rejects an invalid repeat, naming the field', async () => {
    const tm = env.manager();
    await expect(
      tm.emit({ event: 'e', options: { repeat: { everyMs: -1 } } }),
    ).rejects.toMatchObject({ field: 'options.repeat.everyMs' });
    await expect(
      tm.emit({ event: 'e', options: { repeat: { pattern: '* * *', everyMs: 5 } } }),
    ).rejects.toMatchObject({ field: 'options.repeat' });
    await expect(
      tm.registerHandler({
        event: 'e',
        handler: () => 1,
        options: { repeat: { pattern: 'nope' } },
      }),
    ).rejects.toMatchObject({ field: 'options.repeat.pattern' });
  });
});
