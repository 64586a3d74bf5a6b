import type { StreamEntry } from './consumer.types.js';
import { toEntries } from './stream-entries.js';
import type { RedisClient } from './types.js';

/** Creates the consumer group on each stream (and the stream), unless it exists. */
export async function ensureGroups(
  db: RedisClient,
  streams: readonly string[],
  group: string,
): Promise<void> {
  for (const stream of streams) {
    try {
      await db.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP'))
        throw error;
    }
  }
}

/** Acknowledges entries, one XACK per stream. */
export async function acknowledge(
  db: RedisClient,
  group: string,
  entries: readonly StreamEntry[],
): Promise<void> {
  const byStream = new Map<string, string[]>();
  for (const entry of entries) {
    const ids = byStream.get(entry.stream) ?? [];
    ids.push(entry.id);
    byStream.set(entry.stream, ids);
  }
  await Promise.all([...byStream].map(([stream, ids]) => db.xack(stream, group, ...ids)));
}

/**
 * Up to `count` entries delivered to `consumerId` earlier and not running
 * now (`running`: their ids). An entry deleted while pending comes back with
 * no fields: it is acknowledged, as there is nothing to run.
 */
export async function readOwnPending(
  reader: RedisClient,
  { db, streams, group }: { db: RedisClient; streams: readonly string[]; group: string },
  consumerId: string,
  count: number,
  running: ReadonlySet<string>,
): Promise<StreamEntry[]> {
  const reply = (await reader.xreadgroup(
    'GROUP',
    group,
    consumerId,
    'COUNT',
    count + running.size,
    'STREAMS',
    ...streams,
    ...streams.map(() => '0'),
  )) as Parameters<typeof toEntries>[0];
  const entries = toEntries(reply);
  const deleted = entries.filter((entry) => entry.fields.length === 0);
  if (deleted.length > 0) await acknowledge(db, group, deleted);
  return entries
    .filter((entry) => entry.fields.length > 0 && !running.has(entry.id))
    .slice(0, count);
}
