import { ValidationError } from './errors.js';
import type { TaskManagerOptions } from './task-manager.js';
import { checkHandlerOptions, checkName } from './validate.js';

const TOP = ['db', 'prefix', 'ctx', 'consumer', 'defaults', 'retention', 'maxDataBytes'];
const CONSUMER = ['consumerId', 'concurrency', 'read', 'claim'];
const READ = ['blockMs', 'count'];
const CLAIM = ['minIdleMs', 'count', 'maxDeliveries'];
const KEEP = ['count', 'ageMs'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function only(field: string, value: unknown, names: string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new ValidationError(field, 'must be an object');
  for (const name of Object.keys(value)) {
    if (!names.includes(name))
      throw new ValidationError(`${field}.${name}`, 'is not an option');
  }
  return value;
}

function positiveInteger(field: string, value: unknown, min = 1): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ValidationError(
      field,
      `must be an integer >= ${min}, got ${String(value)}`,
    );
  }
}

/**
 * Checks `TaskManager.init` options up front, naming the field, so a typo or
 * a wrong number fails at start-up instead of as Redis errors later.
 */
export function checkSettings(options: TaskManagerOptions<object>): void {
  if (!isObject(options) || !options.db) {
    throw new ValidationError('db', 'must be an ioredis Redis or Cluster');
  }
  only('options', options, TOP);
  if (options.prefix !== undefined) checkName('prefix', options.prefix);
  if (options.ctx !== undefined && !isObject(options.ctx)) {
    throw new ValidationError('ctx', 'must be an object');
  }
  if (options.defaults !== undefined) checkHandlerOptions('defaults', options.defaults);
  positiveInteger('maxDataBytes', options.maxDataBytes);

  const consumer = only('consumer', options.consumer, CONSUMER);
  if (consumer.consumerId !== undefined)
    checkName('consumer.consumerId', consumer.consumerId);
  positiveInteger('consumer.concurrency', consumer.concurrency);
  const read = only('consumer.read', consumer.read, READ);
  positiveInteger('consumer.read.blockMs', read.blockMs);
  positiveInteger('consumer.read.count', read.count);
  const claim = only('consumer.claim', consumer.claim, CLAIM);
  positiveInteger('consumer.claim.minIdleMs', claim.minIdleMs);
  positiveInteger('consumer.claim.count', claim.count);
  positiveInteger('consumer.claim.maxDeliveries', claim.maxDeliveries);

  const retention = only('retention', options.retention, ['completed', 'failed']);
  for (const which of ['completed', 'failed']) {
    const keep = only(`retention.${which}`, retention[which], KEEP);
    positiveInteger(`retention.${which}.count`, keep.count, 0);
    positiveInteger(`retention.${which}.ageMs`, keep.ageMs, 0);
  }
}
