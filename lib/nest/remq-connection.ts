import { Redis, type RedisOptions } from 'ioredis';

import type { RedisClient } from '../core/index.js';
import { messages } from './remq.messages.js';

/** The module's Redis client, and whether the module opened it (and so closes it). */
export class RemqConnection {
  constructor(
    readonly db: RedisClient,
    readonly owned: boolean,
  ) {}

  static from(
    connection: string | RedisOptions | RedisClient | undefined,
  ): RemqConnection {
    if (connection === undefined || connection === null)
      throw new Error(messages.noConnection);
    if (typeof connection === 'string')
      return new RemqConnection(new Redis(connection), true);
    if (isClient(connection)) return new RemqConnection(connection, false);
    return new RemqConnection(new Redis(connection), true);
  }

  /** Closes the client if the module opened it. */
  async close(): Promise<void> {
    if (!this.owned || this.db.status === 'end') return;
    await this.db.quit().catch(() => this.db.disconnect());
  }
}

function isClient(value: object): value is RedisClient {
  return typeof (value as { isCluster?: unknown }).isCluster === 'boolean';
}
