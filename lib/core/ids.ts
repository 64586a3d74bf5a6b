import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

const processTag = randomBytes(5).toString('hex');
let sequence = 0;

/**
 * A new job id: unique across processes (a random tag per process), short,
 * and sortable by creation time within one process.
 */
export function newJobId(): string {
  sequence = (sequence + 1) % 0x100000000;
  return `${Date.now().toString(36)}-${processTag}-${sequence.toString(36)}`;
}

let consumers = 0;

/** Default consumer name: stable for the life of this process. */
export function defaultConsumerId(): string {
  consumers += 1;
  return `${hostname()}:${process.pid}:${consumers}`;
}
