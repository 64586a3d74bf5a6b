import { Redis, type RedisOptions } from 'ioredis';

import type { RedisClient } from '../core/index.js';
import { messages } from './remq.messages.js';

/** The module's Redis client, and whether the module opened it (and so closes it). */
export class RemqConnection {
  constructor(
    readonly db: RedisClient,
    readonly owned: boolean,
  ) {}

  /**
   * Uses a ready client as it is; opens one from a URL or options and waits
   * until it is connected, so an unreachable Redis fails start-up at once
   * with a clear message (and leaves no connection retrying behind).
   */
  static async from(
    connection: string | RedisOptions | RedisClient | undefined,
  ): Promise<RemqConnection> {
    if (connection === undefined || connection === null)
      throw new Error(messages.noConnection);
    if (typeof connection !== 'string' && isClient(connection)) {
      return new RemqConnection(connection, false);
    }

    const db =
      typeof connection === 'string'
        ? new Redis(connection, { lazyConnect: true })
        : new Redis({ ...connection, lazyConnect: true });
    try {
      await db.connect();
    } catch (error) {
      db.disconnect();
      throw new Error(messages.unreachable(describeTarget(connection), error), {
        cause: error,
      });
    }
    return new RemqConnection(db, true);
  }

  /** Closes the client if the module opened it. */
  async close(): Promise<void> {
    if (!this.owned || this.db.status === 'end') return;
    await this.db.quit().catch(() => this.db.disconnect());
  }
}

function describeTarget(connection: string | RedisOptions): string {
  if (typeof connection === 'string') return connection.replace(/\/\/[^@/]*@/, '//***@');
  return `${connection.host ?? '127.0.0.1'}:${connection.port ?? 6379}`;
}

function isClient(value: object): value is RedisClient {
  return typeof (value as { isCluster?: unknown }).isCluster === 'boolean';
}
