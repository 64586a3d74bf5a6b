import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Six base-36 digits, random per process: tells apart processes emitting in the same ms. */
const processTag = (randomBytes(4).readUInt32BE() % 36 ** 6)
  .toString(36)
  .padStart(6, '0');
let lastMs = 0;
let sequence = 0;

/**
 * A new job id: unique across processes and short (it is stored twice per
 * waiting job). Eight base-36 digits of the time in ms (good until 2059), the
 * process tag, then a sequence number within that ms, in base 36 and as long
 * as it needs (so ids of one ms do not sort as strings past the 36th). The
 * time never goes back within a process, so an id cannot repeat if the clock
 * does.
 */
export function newJobId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else sequence += 1;
  return `${lastMs.toString(36).padStart(8, '0')}${processTag}${sequence.toString(36)}`;
}

let consumers = 0;

/** Default consumer name: stable for the life of this process. */
export function defaultConsumerId(): string {
  consumers += 1;
  return `${hostname()}:${process.pid}:${consumers}`;
}
