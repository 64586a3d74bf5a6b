import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { ValidationError, type EmitInput } from '../../lib/core/index.js';
import { keysOf, setup } from '../helpers.js';

const cycle: Record<string, unknown> = {};
cycle.self = cycle;

const invalid: [string, EmitInput | Record<string, unknown>, string][] = [
  ['a missing event', { data: 1 }, 'event'],
  ['an empty event', { event: '' }, 'event'],
  ['a queue with braces', { event: 'e', queue: 'a{b}' }, 'queue'],
  ['an event with a lone surrogate', { event: 'e\ud800' }, 'event'],
  [
    'an id with a lone surrogate',
    { event: 'e', options: { id: '\udc00' } },
    'options.id',
  ],
  [
    'a debounce key with a lone surrogate',
    { event: 'e', options: { debounce: { windowMs: 100, key: 'k\ud800' } } },
    'options.debounce.key',
  ],
  ['BigInt data', { event: 'e', data: { n: 10n } }, 'data'],
  ['cyclic data', { event: 'e', data: cycle }, 'data'],
  [
    'a negative retryCount',
    { event: 'e', options: { retryCount: -1 } },
    'options.retryCount',
  ],
  [
    'a fractional retryCount',
    { event: 'e', options: { retryCount: 1.5 } },
    'options.retryCount',
  ],
  [
    'an invalid delayUntil',
    { event: 'e', options: { delayUntil: 'soon' } },
    'options.delayUntil',
  ],
  [
    'a non-integer priority',
    { event: 'e', options: { priority: 1.2 } },
    'options.priority',
  ],
  [
    'a priority out of range',
    { event: 'e', options: { priority: 2e6 } },
    'options.priority',
  ],
  [
    'an invalid cron pattern',
    { event: 'e', options: { repeat: { pattern: '61 * * * *' } } },
    'options.repeat.pattern',
  ],
  [
    'an invalid time zone',
    { event: 'e', options: { repeat: { pattern: '* * * * *', tz: 'Mars/Base' } } },
    'options.repeat.tz',
  ],
  ['an unknown option', { event: 'e', options: { retries: 3 } }, 'options.retries'],
  ['an unknown emit field', { event: 'e', payload: {} }, 'payload'],
];

describe('emit validation', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });
  afterEach(() => env.cleanup());

  it.each(invalid)(
    'rejects %s, naming %s... and writes nothing',
    async (_, input, field) => {
      const tm = env.manager();

      const attempt = tm.emit(input as EmitInput);

      await expect(attempt).rejects.toThrow(ValidationError);
      await expect(attempt).rejects.toMatchObject({ field });
      await expect(attempt).rejects.toThrow(
        new RegExp(`^${field.replace(/\./g, '\\.')} `),
      );
      expect(await keysOf(env.db, env.prefix)).toEqual([]);
    },
  );

  it('writes nothing from emitBulk when any one job is invalid', async () => {
    const tm = env.manager();

    const attempt = tm.emitBulk([
      { event: 'ok' },
      { event: 'ok', options: { priority: 0.5 } },
    ]);

    await expect(attempt).rejects.toMatchObject({ field: 'jobs[1].options.priority' });
    expect(await keysOf(env.db, env.prefix)).toEqual([]);
  });

  it('rejects data over the size cap, naming data', async () => {
    const tm = env.manager({ maxDataBytes: 1024 });

    await expect(tm.emit({ event: 'e', data: 'x'.repeat(2000) })).rejects.toThrow(
      /^data is \d+ bytes, over the cap of 1024/,
    );
    expect(await keysOf(env.db, env.prefix)).toEqual([]);
  });
});
