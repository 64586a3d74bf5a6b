import type { StreamEntry } from './consumer.types.js';

/** Flattens an XREADGROUP reply; a deleted entry comes with no fields. */
export function toEntries(
  reply: [string, [string, string[] | null][]][] | null,
): StreamEntry[] {
  const entries: StreamEntry[] = [];
  for (const [stream, items] of reply ?? []) {
    for (const [id, fields] of items) entries.push({ stream, id, fields: fields ?? [] });
  }
  return entries;
}
