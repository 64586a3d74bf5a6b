import { createHash } from 'node:crypto';

import type { DebounceOptions } from './types.js';

/** A debounce setting resolved for one job. */
export interface DebounceWindow {
  /** 't' throttle: the first job of the window wins. 'd' debounce: the last one does. */
  mode: 't' | 'd';
  windowMs: number;
  key: string;
}

/**
 * Resolves a job's debounce option. Without an explicit key, jobs are the
 * same when their event and data are: the data is hashed in a form where the
 * order of object keys does not matter.
 */
export function debounceOf(
  option: DebounceOptions | undefined,
  event: string,
  data: string,
): DebounceWindow | undefined {
  if (option === undefined) return undefined;
  const {
    windowMs,
    mode = 'throttle',
    key,
  } = typeof option === 'number' ? { windowMs: option } : option;
  return {
    mode: mode === 'debounce' ? 'd' : 't',
    windowMs: Math.ceil(windowMs),
    key: key ?? `${event}:${stableHash(data)}`,
  };
}

function stableHash(json: string): string {
  const canonical = json === '' ? '' : JSON.stringify(sortKeys(JSON.parse(json)));
  return createHash('sha1').update(canonical).digest('hex').slice(0, 20);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return sorted;
}
