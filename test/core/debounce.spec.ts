import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { next, setup } from '../helpers.js';

describe('debounce', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });
  afterEach(() => env.cleanup());

  it('throttle: the first job of the window wins, across TaskManagers', async () => {
    const a = env.manager();
    const b = env.manager();
    const options = { debounce: { windowMs: 5000, mode: 'throttle' as const } };

    const first = await a.emit({
      event: 'sync',
      data: { user: 1, scope: 'all' },
      options,
    });
    const second = await b.emit({
      event: 'sync',
      data: { scope: 'all', user: 1 },
      options,
    });
    const other = await b.emit({ event: 'sync', data: { user: 2 }, options });

    expect(second).toBe(first);
    expect(other).not.toBe(first);
    expect((await a.admin.getQueueStats('default')).waiting).toBe(2);
  });

  it('a bare number is a throttle window in ms, after which a new job is taken', async () => {
    const tm = env.manager();
    const first = await tm.emit({ event: 'e', options: { debounce: 100 } });
    const again = await tm.emit({ event: 'e', options: { debounce: 100 } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const later = await tm.emit({ event: 'e', options: { debounce: 100 } });

    expect(again).toBe(first);
    expect(later).not.toBe(first);
  });

  it('debounce: the last emit wins, replacing the data and restarting the window', async () => {
    const a = env.manager();
    const b = env.manager();
    const ran: unknown[] = [];
    await a.registerHandler({ event: 'save', handler: (job) => void ran.push(job.data) });
    await a.start();
    const options = {
      debounce: { windowMs: 300, mode: 'debounce' as const, key: 'doc-7' },
    };

    const start = Date.now();
    const first = await a.emit({ event: 'save', data: { v: 1 }, options });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const second = await b.emit({ event: 'save', data: { v: 2 }, options });
    const completed = next(a, 'completed');
    await completed;

    expect(second).toBe(first);
    expect(ran).toEqual([{ v: 2 }]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(450);
  });

  it('takes the debounce window from the handler', async () => {
    const tm = env.manager();
    await tm.registerHandler({
      event: 'ping',
      options: { debounce: 5000 },
      handler: () => 1,
    });

    const first = await tm.emit({ event: 'ping' });
    const second = await tm.emit({ event: 'ping' });

    expect(second).toBe(first);
  });

  it('rejects a bad window or mode, naming the field', async () => {
    const tm = env.manager();
    await expect(
      tm.emit({ event: 'e', options: { debounce: -5 } }),
    ).rejects.toMatchObject({
      field: 'options.debounce',
    });
    await expect(
      tm.emit({ event: 'e', options: { debounce: { windowMs: NaN } } }),
    ).rejects.toMatchObject({ field: 'options.debounce.windowMs' });
    await expect(
      tm.emit({
        event: 'e',
        options: { debounce: { windowMs: 10, mode: 'latest' as 'debounce' } },
      }),
    ).rejects.toMatchObject({ field: 'options.debounce.mode' });
  });
});
