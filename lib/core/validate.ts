import { Cron } from 'croner';

import { ValidationError } from './errors.js';
import type { HandlerOptions, JobOptions, RepeatOptions } from './types.js';

export const PRIORITY_MIN = -1_000_000;
export const PRIORITY_MAX = 1_000_000;

const JOB_OPTION_NAMES = new Set([
  'id',
  'priority',
  'delayUntil',
  'delayMs',
  'retryCount',
  'retryDelayMs',
  'backoff',
  'repeat',
  'debounce',
  'timeoutMs',
]);
const HANDLER_OPTION_NAMES = new Set([...JOB_OPTION_NAMES, 'concurrency']);
HANDLER_OPTION_NAMES.delete('id');
HANDLER_OPTION_NAMES.delete('delayUntil');

const REPEAT_NAMES = new Set([
  'pattern',
  'tz',
  'everyMs',
  'limit',
  'startDate',
  'endDate',
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(field, 'must be a non-empty string');
  }
  if (value.length > 256)
    throw new ValidationError(field, 'must be at most 256 characters');
  if (/[{}\s\p{Cc}\p{Cs}]/u.test(value)) {
    throw new ValidationError(
      field,
      'must not contain braces, white space, control characters or lone surrogates',
    );
  }
  return value;
}

function checkInteger(
  field: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
) {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < min ||
    value > max
  ) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new ValidationError(field, `must be an integer ${range}, got ${String(value)}`);
  }
}

function checkDuration(field: string, value: unknown) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(
      field,
      `must be a finite number of milliseconds >= 0, got ${String(value)}`,
    );
  }
}

/** Reads a Date, an ISO string or epoch milliseconds; throws naming `field`. */
export function toTime(field: string, value: unknown): number {
  const time =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'string' || typeof value === 'number'
        ? new Date(value).getTime()
        : NaN;
  if (!Number.isFinite(time)) {
    throw new ValidationError(field, `must be a valid date, got ${String(value)}`);
  }
  return time;
}

function checkRepeat(field: string, value: unknown): RepeatOptions {
  if (!isPlainObject(value)) throw new ValidationError(field, 'must be an object');
  for (const name of Object.keys(value)) {
    if (!REPEAT_NAMES.has(name))
      throw new ValidationError(`${field}.${name}`, 'is not an option');
  }
  const { pattern, everyMs, tz, limit, startDate, endDate } = value;
  if ((pattern === undefined) === (everyMs === undefined)) {
    throw new ValidationError(field, 'needs exactly one of pattern and everyMs');
  }
  if (tz !== undefined) checkTimeZone(`${field}.tz`, tz);
  if (pattern !== undefined) {
    if (typeof pattern !== 'string')
      throw new ValidationError(`${field}.pattern`, 'must be a string');
    try {
      new Cron(pattern, { paused: true, timezone: tz as string | undefined }).stop();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ValidationError(`${field}.pattern`, `is invalid: ${why}`);
    }
  }
  if (everyMs !== undefined) checkInteger(`${field}.everyMs`, everyMs, 1);
  if (limit !== undefined) checkInteger(`${field}.limit`, limit, 1);
  if (startDate !== undefined) toTime(`${field}.startDate`, startDate);
  if (endDate !== undefined) toTime(`${field}.endDate`, endDate);
  return value as RepeatOptions;
}

function checkTimeZone(field: string, tz: unknown) {
  try {
    if (typeof tz !== 'string') throw new Error();
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new ValidationError(field, `must be an IANA time zone name, got ${String(tz)}`);
  }
}

function checkBackoff(field: string, value: unknown) {
  if (typeof value === 'function') return;
  if (!isPlainObject(value)) {
    throw new ValidationError(field, 'must be a function or { type, delayMs }');
  }
  if (value.type !== 'fixed' && value.type !== 'exponential') {
    throw new ValidationError(
      `${field}.type`,
      `must be 'fixed' or 'exponential', got ${String(value.type)}`,
    );
  }
  checkDuration(`${field}.delayMs`, value.delayMs);
  if (value.jitter !== undefined) {
    const jitter = value.jitter;
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
      throw new ValidationError(`${field}.jitter`, 'must be a number from 0 to 1');
    }
  }
  if (value.maxDelayMs !== undefined)
    checkDuration(`${field}.maxDelayMs`, value.maxDelayMs);
}

function checkDebounce(field: string, value: unknown) {
  if (typeof value === 'number') return checkWindow(field, value);
  if (!isPlainObject(value))
    throw new ValidationError(field, 'must be a number or an object');
  for (const name of Object.keys(value)) {
    if (!['windowMs', 'mode', 'key'].includes(name)) {
      throw new ValidationError(`${field}.${name}`, 'is not an option');
    }
  }
  checkWindow(`${field}.windowMs`, value.windowMs);
  if (
    value.mode !== undefined &&
    value.mode !== 'throttle' &&
    value.mode !== 'debounce'
  ) {
    throw new ValidationError(
      `${field}.mode`,
      `must be 'throttle' or 'debounce', got ${String(value.mode)}`,
    );
  }
  const { key } = value;
  if (key !== undefined && (typeof key !== 'string' || !/^\P{Cs}+$/u.test(key))) {
    throw new ValidationError(`${field}.key`, 'must be a non-empty string, well-formed');
  }
}

function checkWindow(field: string, value: unknown) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(
      field,
      `must be a window in milliseconds > 0, got ${String(value)}`,
    );
  }
}

function checkOptions(field: string, options: unknown, names: Set<string>): void {
  if (options === undefined) return;
  if (!isPlainObject(options)) throw new ValidationError(field, 'must be an object');
  for (const [name, value] of Object.entries(options)) {
    const at = `${field}.${name}`;
    if (!names.has(name)) throw new ValidationError(at, 'is not an option');
    if (value === undefined) continue;
    switch (name) {
      case 'id':
        checkName(at, value);
        break;
      case 'priority':
        checkInteger(at, value, PRIORITY_MIN, PRIORITY_MAX);
        break;
      case 'delayUntil':
        toTime(at, value);
        break;
      case 'delayMs':
      case 'retryDelayMs':
        checkDuration(at, value);
        break;
      case 'timeoutMs':
        checkWindow(at, value);
        break;
      case 'retryCount':
        checkInteger(at, value, 0);
        break;
      case 'concurrency':
        checkInteger(at, value, 1);
        break;
      case 'backoff':
        checkBackoff(at, value);
        break;
      case 'repeat':
        checkRepeat(at, value);
        break;
      case 'debounce':
        checkDebounce(at, value);
        break;
    }
  }
}

export function checkJobOptions(field: string, options: unknown): JobOptions {
  checkOptions(field, options, JOB_OPTION_NAMES);
  const checked = (options ?? {}) as JobOptions;
  const conflict = (a: keyof JobOptions, b: keyof JobOptions) => {
    if (checked[a] !== undefined && checked[b] !== undefined) {
      throw new ValidationError(`${field}.${b}`, `cannot be combined with ${a}`);
    }
  };
  conflict('delayUntil', 'delayMs');
  conflict('repeat', 'id');
  conflict('repeat', 'delayUntil');
  conflict('repeat', 'delayMs');
  conflict('repeat', 'debounce');
  return checked;
}

export function checkHandlerOptions(field: string, options: unknown): HandlerOptions {
  checkOptions(field, options, HANDLER_OPTION_NAMES);
  return (options ?? {}) as HandlerOptions;
}
