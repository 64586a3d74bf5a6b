import type { Cluster, Redis } from 'ioredis';

import type { RedisClient } from './types.js';

/** A new connection with the same settings, for a blocking loop of its own. */
export function duplicateClient(db: RedisClient): RedisClient {
  return db.isCluster ? (db as Cluster).duplicate() : (db as Redis).duplicate();
}
