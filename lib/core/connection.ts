import type { Cluster, Redis } from 'ioredis';

import type { RedisClient } from './types.js';

/** A new connection with the same settings, for a blocking loop of its own. */
export function duplicateClient(db: RedisClient): RedisClient {
  return db.isCluster ? (db as Cluster).duplicate() : (db as Redis).duplicate();
}

/**
 * Drops a connection's socket at once so ioredis reconnects and resends what
 * was pending. NOTE: a graceful close would wait for the dead peer forever.
 */
export function dropSocket(client: RedisClient): void {
  const socket = (client as { stream?: { destroy?: () => void } }).stream;
  if (!client.isCluster && typeof socket?.destroy === 'function') socket.destroy();
  else client.disconnect(true);
}

/**
 * Runs a blocking read under a watchdog: a read that has not returned after
 * `silentMs` (its own timeout and some grace) sits on a dead socket, so
 * `onSilent` is told and the connection is dropped and opened again (ioredis
 * resends the read).
 */
export async function watched<T>(
  reader: RedisClient,
  silentMs: number,
  onSilent: () => void,
  read: () => Promise<T>,
): Promise<T> {
  const watchdog = setTimeout(() => {
    onSilent();
    dropSocket(reader);
  }, silentMs);
  try {
    return await read();
  } finally {
    clearTimeout(watchdog);
  }
}
