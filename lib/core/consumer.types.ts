import type { RedisClient } from './types.js';

/** One stream entry as read through the consumer group. */
export interface StreamEntry {
  /** Key of the stream it came from. */
  readonly stream: string;
  /** Entry id, e.g. `1700000000000-0`. */
  readonly id: string;
  /** Field-value pairs, flat, as Redis returned them. */
  readonly fields: readonly string[];
}

/** How a consumer reads; shared by `Consumer`, `Processor` and `TaskManager`. */
export interface ConsumerSettings {
  /** Name of this consumer in the group. Default: host, pid and a counter. */
  consumerId?: string;
  /** Entries handled at once. Default 1. */
  concurrency?: number;
  read?: {
    /** How long one blocking read waits for entries, in ms. Default 5000. */
    blockMs?: number;
    /** Most entries fetched by one read. Default 100. */
    count?: number;
  };
  claim?: {
    /**
     * Entries pending this long (ms) on another consumer are taken over; a
     * running entry's lease is renewed every third of it. Default 30000.
     */
    minIdleMs?: number;
    /** Most entries taken over at once. Default 100. */
    count?: number;
    /**
     * Deliveries after which an entry is poison: handed to `onPoison`
     * instead of being run again. Default 5.
     */
    maxDeliveries?: number;
  };
}

export interface ConsumerOptions extends ConsumerSettings {
  /** Command connection; the consumer opens one more, for its blocking reads. */
  db: RedisClient;
  /** Stream keys to read. On Redis Cluster they must share one hash slot. */
  streams: string[];
  /** Consumer group; created (reading from the start) when missing. */
  group: string;
  /**
   * Called once per entry. With `ack: 'auto'` the entry is acknowledged once
   * the returned promise resolves, and left pending when it rejects.
   */
  handler: (entry: StreamEntry) => unknown;
  /** `manual`: the handler acknowledges entries itself. Default `auto`. */
  ack?: 'auto' | 'manual';
  /**
   * Called before each read with the number of free slots. It may deliver
   * entries itself (they are handled as if read), or say which streams to
   * block on and for how long. Used by `Processor` for priorities and delays.
   */
  poll?: (count: number) => Promise<PollResult>;
  /**
   * Called for an entry delivered more than `claim.maxDeliveries` times; the
   * entry stays pending until it settles it. Without it, such entries run
   * again like any other.
   */
  onPoison?: (entry: StreamEntry, deliveries: number) => Promise<void>;
}

/** What a `poll` hook decided. */
export interface PollResult {
  /** Entries it delivered; when there are none, the consumer blocks on the streams. */
  entries: StreamEntry[];
  /** Longest blocking read this time, in ms. Default `read.blockMs`. */
  blockMs?: number;
  /** Streams to block on this time. Default: all. */
  streams?: string[];
}
