import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Six base-36 digits, random per process: tells apart processes emitting in the same ms. */
const processTag = (randomBytes(4).readUInt32BE() % 36 ** 6)
  .toString(36)
  .padStart(6, '0');
let sequence = 0;

/**
 * A new job id: unique across processes, short (it is stored twice per
 * waiting job), and sortable by creation time within one process. Eight
 * base-36 digits of the time in ms (good until 2059), the process tag, then
 * a per-process sequence number.
 */
export function newJobId(): string {
  sequence = (sequence + 1) % 0x100000000;
  return `${Date.now().toString(36).padStart(8, '0')}${processTag}${sequence.toString(36)}`;
}

let consumers = 0;

/** Default consumer name: stable for the life of this process. */
export function defaultConsumerId(): string {
  consumers += 1;
  return `${hostname()}:${process.pid}:${consumers}`;
}
