import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import type { Job } from '../../lib/core/index.js';
import { next, setup } from '../helpers.js';

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
});
