import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';

import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';

import { TaskManager } from '../../lib/core/index.js';
import { eventually, freshPrefix, keysOf, redisAddress } from '../helpers.js';

/**
 * A TCP proxy to Redis that can go silent: `freezeBlocking()` stops relaying
 * bytes on the connections that have sent a blocking read, without closing
 * them, as a dead network would. Other connections, and those opened
 * afterwards, are relayed normally.
 */
async function silentProxy() {
  const target = redisAddress();
  const blocking = new Set<[Socket, Socket]>();
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target.port, target.host);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    sockets.add(client).add(upstream);
    client.on('data', (bytes: Buffer) => {
      if (bytes.toString().includes('BLOCK')) blocking.add(pair);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    /** Whether some connection has sent a blocking read since the last freeze. */
    sawBlocking: () => blocking.size > 0,
    freezeBlocking() {
      for (const [client, upstream] of blocking) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
      blocking.clear();
    },
    close() {
      server.close();
      sockets.forEach((socket) => socket.destroy());
    },
  };
}

describe('blocking read watchdog', () => {
  it('reconnects a consumer whose connection went silent, and goes on', async () => {
    const proxy = await silentProxy();
    const prefix = freshPrefix();
    const direct = new Redis(redisAddress());
    const db = new Redis(proxy.port, '127.0.0.1');
    const consumer = TaskManager.init({
      db,
      prefix,
      consumer: { read: { blockMs: 200 } },
    });
    const producer = TaskManager.init({ db: direct, prefix });
    const errors: string[] = [];
    consumer.on('error', (error) => errors.push(String(error)));
    const ran: number[] = [];
    await consumer.registerHandler<number>({
      event: 'e',
      handler: (job) => void ran.push(job.data),
    });
    await consumer.start();

    try {
      await producer.emit({ event: 'e', data: 1 });
      await eventually(async () => expect(ran).toEqual([1]));
      // The first job may come through a non-blocking read: wait until the
      // consumer is blocked, or there is nothing to freeze yet.
      await eventually(async () => expect(proxy.sawBlocking()).toBe(true));

      proxy.freezeBlocking();
      await eventually(
        async () =>
          expect(errors.some((text) => text.includes('blocking read silent'))).toBe(true),
        5000,
      );
      await producer.emit({ event: 'e', data: 2 });

      await eventually(async () => expect(ran).toEqual([1, 2]), 5000);
    } finally {
      await consumer.stop({ timeoutMs: 500 });
      const keys = await keysOf(direct, prefix);
      if (keys.length) await direct.del(...keys);
      db.disconnect();
      direct.disconnect();
      proxy.close();
    }
  }, 20_000);
});
