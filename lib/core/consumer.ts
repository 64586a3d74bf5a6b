import { EventEmitter } from 'node:events';

import { Batcher } from './batcher.js';
import { duplicateClient, watched } from './connection.js';
import { acknowledge, ensureGroups, readOwnPending } from './consumer-group.js';
import type { ConsumerOptions, StreamEntry } from './consumer.types.js';
import { defaultConsumerId } from './ids.js';
import { Reclaimer } from './reclaimer.js';
import { toEntries } from './stream-entries.js';
import type { RedisClient } from './types.js';
import { settlesWithin } from './wait.js';

export type {
  ConsumerOptions,
  ConsumerSettings,
  PollResult,
  StreamEntry,
} from './consumer.types.js';

/** How long past its own timeout a blocking read may stay silent. */
const WATCHDOG_GRACE_MS = 1000;

/**
 * Reads streams through a consumer group and calls a handler per entry, at
 * most `concurrency` at a time. Raw access: no retry, delay or dead-letter
 * policy (see `Processor` for those).
 *
 * Emits `error` for failures of Redis or of the handler; the loop goes on.
 */
export class Consumer extends EventEmitter {
  readonly consumerId: string;
  /** Entries handled at once. */
  readonly concurrency: number;
  private readonly blockMs: number;
  private readonly count: number;
  private readonly acks: Batcher<StreamEntry, void>;

  private reader?: RedisClient;
  private readerId?: number;
  private running = false;
  private loop?: Promise<void>;
  private readonly handling = new Set<StreamEntry>();
  private reclaimer?: Reclaimer;
  /** Failed reads in a row. */
  private failures = 0;
  /**
   * Re-read this consumer's own pending entries before new ones: at start,
   * and after the blocking connection dropped (a read may have delivered
   * entries whose reply was lost with it).
   */
  private recoverOwn = true;
  private wakeLoop?: () => void;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: ConsumerOptions) {
    super();
    this.consumerId = options.consumerId ?? defaultConsumerId();
    this.concurrency = options.concurrency ?? 1;
    this.blockMs = options.read?.blockMs ?? 5000;
    this.count = options.read?.count ?? 100;
    this.acks = new Batcher(async (entries): Promise<void[]> => {
      await acknowledge(options.db, options.group, entries);
      return [];
    });
  }

  /** Entries being handled right now. */
  get active(): number {
    return this.handling.size;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;

    await ensureGroups(this.options.db, this.options.streams, this.options.group);
    const reader = duplicateClient(this.options.db);
    reader.on('error', (error: unknown) => this.fail(error));
    reader.on('close', () => {
      this.readerId = undefined;
      this.recoverOwn = true;
    });
    this.reader = reader;
    await this.rememberReaderId(reader);
    this.loop = this.run(reader);
    this.reclaimer = this.createReclaimer();
    this.reclaimer.start();
  }

  private createReclaimer(): Reclaimer {
    const { db, streams, group, claim, onPoison } = this.options;
    const maxDeliveries = onPoison ? (claim?.maxDeliveries ?? 5) : Infinity;
    return new Reclaimer(
      {
        db,
        streams,
        group,
        consumerId: this.consumerId,
        freeSlots: () => (this.running ? this.concurrency - this.active : 0),
        inFlight: () => {
          const byStream = new Map<string, string[]>();
          for (const entry of this.handling) {
            byStream.set(entry.stream, [...(byStream.get(entry.stream) ?? []), entry.id]);
          }
          return byStream;
        },
        deliver: (entries) => entries.forEach((entry) => this.dispatch(entry)),
        poisoned: (entry, deliveries) =>
          this.dispatch(entry, () => onPoison?.(entry, deliveries)),
        fail: (error) => this.fail(error),
      },
      {
        minIdleMs: claim?.minIdleMs ?? 30_000,
        count: claim?.count ?? 100,
        maxDeliveries,
      },
    );
  }

  /**
   * Stops reading, then waits up to `timeoutMs` for entries in flight. What
   * has not finished by then stays pending for another consumer to claim.
   */
  async stop({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // A claim round under way may still hand over entries: they run before
    // stop resolves, like those of the last read.
    const reclaimerStopped = this.reclaimer?.stop() ?? Promise.resolve();
    this.wakeLoop?.();

    const deadline = Date.now() + timeoutMs;
    await this.interruptRead();
    // A read that could not be interrupted (Cluster, or CLIENT UNBLOCK not
    // allowed) is cut off at the deadline: what it delivered stays pending
    // for this consumer's next start or for another consumer.
    const loopEnded = await settlesWithin(this.loop ?? Promise.resolve(), timeoutMs);
    if (!loopEnded) this.reader?.disconnect();
    await settlesWithin(reclaimerStopped, deadline - Date.now());
    await this.whenIdle(Math.max(0, deadline - Date.now()));
    this.reader?.disconnect();
    this.reader = undefined;
  }

  /** Resolves when no entry is in flight, or after `timeoutMs`. */
  whenIdle(timeoutMs = Infinity): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer =
        timeoutMs === Infinity ? undefined : setTimeout(resolve, timeoutMs).unref();
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async run(reader: RedisClient): Promise<void> {
    const { group } = this.options;

    while (this.running) {
      if (this.active >= this.concurrency) {
        await new Promise<void>((resolve) => (this.wakeLoop = resolve));
        continue;
      }

      const count = Math.min(this.count, this.concurrency - this.active);
      let reply: [string, [string, string[] | null][]][] | null;
      try {
        if (this.recoverOwn) {
          this.recoverOwn = false;
          const running = new Set([...this.handling].map((entry) => entry.id));
          const own = await readOwnPending(
            reader,
            this.options,
            this.consumerId,
            count,
            running,
          );
          if (own.length > 0) {
            own.forEach((entry) => this.dispatch(entry));
            continue;
          }
        }
        let streams = this.options.streams;
        let blockMs = this.blockMs;
        if (this.options.poll) {
          const polled = await this.options.poll(count);
          if (polled.entries.length > 0) {
            polled.entries.forEach((entry) => this.dispatch(entry));
            continue;
          }
          streams = polled.streams ?? streams;
          blockMs = Math.max(1, Math.ceil(polled.blockMs ?? blockMs));
        }
        if (!this.running) break;
        if (this.readerId === undefined) await this.rememberReaderId(reader);
        const silentMs = blockMs + WATCHDOG_GRACE_MS;
        const silent = () =>
          this.fail(new Error(`blocking read silent for ${silentMs} ms; reconnecting`));
        reply = (await watched(reader, silentMs, silent, () =>
          reader.xreadgroup(
            'GROUP',
            group,
            this.consumerId,
            'COUNT',
            count,
            'BLOCK',
            blockMs,
            'STREAMS',
            ...streams,
            ...streams.map(() => '>'),
          ),
        )) as typeof reply;
        this.failures = 0;
      } catch (error) {
        if (!this.running) break;
        await this.recover(error);
        continue;
      }

      for (const entry of toEntries(reply)) this.dispatch(entry);
    }
  }

  /** Ends the current blocking read early (as if it timed out), e.g. when a job fell due. */
  async wake(): Promise<void> {
    await this.interruptRead();
  }

  private dispatch(entry: StreamEntry, handle = () => this.options.handler(entry)): void {
    this.handling.add(entry);
    Promise.resolve()
      .then(handle)
      .then(() => {
        if (this.options.ack !== 'manual') return this.acks.add(entry);
      })
      .catch((error: unknown) => this.fail(error))
      .finally(() => this.release(entry));
  }

  private release(entry: StreamEntry): void {
    this.handling.delete(entry);
    const wake = this.wakeLoop;
    this.wakeLoop = undefined;
    wake?.();
    if (this.active === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((waiter) => waiter());
    }
  }

  /**
   * After a failed read: recreate a lost group (stream deleted, Redis
   * restarted empty), otherwise back off, doubling up to 5 s, so a down
   * server costs no tight loop. `stop` cuts the pause short.
   */
  private async recover(error: unknown): Promise<void> {
    if (error instanceof Error && error.message.startsWith('NOGROUP')) {
      await ensureGroups(this.options.db, this.options.streams, this.options.group).catch(
        (again: unknown) => this.fail(again),
      );
      return;
    }
    this.fail(error);
    this.failures += 1;
    const pauseMs = Math.min(5000, 100 * 2 ** (this.failures - 1));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pauseMs);
      this.wakeLoop = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Learns the blocking connection's id, so `stop` can interrupt its read. */
  private async rememberReaderId(reader: RedisClient): Promise<void> {
    if (reader.isCluster) return;
    this.readerId = await reader.client('ID');
  }

  /**
   * Wakes the blocking read so `stop` does not wait out `blockMs`. The read
   * returns as if it timed out, so no delivered entry is dropped in flight.
   * NOTE: on Cluster the read is left to time out (CLIENT UNBLOCK would have
   * to reach the node that holds the stream).
   */
  private async interruptRead(): Promise<void> {
    const db = this.options.db;
    if (this.readerId === undefined || db.isCluster) return;
    try {
      await db.client('UNBLOCK', this.readerId, 'TIMEOUT');
    } catch (error) {
      this.fail(error);
    }
  }

  protected fail(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.emitWarning(error instanceof Error ? error : String(error));
  }
}
