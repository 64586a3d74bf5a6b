import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';

import { TaskManager } from '../../lib/core/index.js';
import { eventually } from '../helpers.js';
import { ThrowawayRedis } from '../redis-server.js';

/**
 * A Redis with a password, and an ACL user that may only touch the keys of
 * prefix `acl`: REMQ must work within that, every key it uses included.
 */
describe('password and ACL user', () => {
  let server: ThrowawayRedis;
  let admin: Redis;

  beforeAll(async () => {
    server = await ThrowawayRedis.start(['--requirepass', 'admin-secret']);
    admin = new Redis(server.port, '127.0.0.1', { password: 'admin-secret' });
    await admin.call(
      'ACL',
      'SETUSER',
      'worker',
      'on',
      '>worker-secret',
      'resetkeys',
      '~{acl:*',
      '~acl:*',
      '+@all',
      '-@dangerous',
      '+info',
      '+client|id',
      '+client|unblock',
    );
  });

  afterAll(async () => {
    admin.disconnect();
    await server.kill();
  });

  it('runs jobs and the admin API as a user limited to its prefix', async () => {
    const db = new Redis(server.port, '127.0.0.1', {
      username: 'worker',
      password: 'worker-secret',
    });
    const tasks = TaskManager.init({ db, prefix: 'acl' });
    const ran: unknown[] = [];
    await tasks.registerHandler({
      event: 'e',
      handler: (job) => void ran.push(job.data),
    });
    await tasks.start();

    try {
      const id = await tasks.emit({
        event: 'e',
        data: { ok: 1 },
        options: { retryCount: 1 },
      });
      await tasks.emit({
        event: 'e',
        data: { later: 1 },
        options: { delayMs: 50, priority: 2 },
      });
      await eventually(async () => expect(ran).toHaveLength(2));
      expect((await tasks.admin.getJob('default', id))?.state).toBe('completed');
      expect(await tasks.admin.getQueues()).toEqual(['default']);

      const keys = await admin.keys('*');
      expect(keys.every((key) => key.startsWith('{acl:') || key.startsWith('acl:'))).toBe(
        true,
      );
    } finally {
      await tasks.stop({ timeoutMs: 500 });
      db.disconnect();
    }
  });

  it('stops within its timeout when the user may not CLIENT UNBLOCK', async () => {
    await admin.call(
      'ACL',
      'SETUSER',
      'plain',
      'on',
      '>plain-secret',
      'resetkeys',
      '~{acl:*',
      '~acl:*',
      '+@all',
      '-@dangerous',
      '+info',
      '+client|id',
    );
    const db = new Redis(server.port, '127.0.0.1', {
      username: 'plain',
      password: 'plain-secret',
    });
    const tasks = TaskManager.init({
      db,
      prefix: 'acl',
      consumer: { read: { blockMs: 5000 } },
    });
    const errors: string[] = [];
    tasks.on('error', (error) => errors.push(String(error)));
    await tasks.registerHandler({ event: 'e', queue: 'other', handler: () => undefined });
    await tasks.start();

    const started = Date.now();
    await tasks.stop({ timeoutMs: 300 });

    expect(Date.now() - started).toBeLessThan(1500);
    expect(errors.some((text) => text.includes('NOPERM'))).toBe(true);
    db.disconnect();
  });

  it('is refused the keys of another prefix', async () => {
    const db = new Redis(server.port, '127.0.0.1', {
      username: 'worker',
      password: 'worker-secret',
    });
    const tasks = TaskManager.init({ db, prefix: 'other' });

    await expect(tasks.emit({ event: 'e' })).rejects.toThrow(/NOPERM/);
    db.disconnect();
  });
});
