import type { StreamEntry } from './consumer.js';
import type { RedisClient } from './types.js';
import { InFlight } from './wait.js';

/** What the reclaimer needs from its consumer. */
export interface ReclaimerHost {
  readonly db: RedisClient;
  readonly streams: string[];
  readonly group: string;
  readonly consumerId: string;
  /** Slots free for more entries now. */
  freeSlots(): number;
  /** Entries being handled now, by stream. */
  inFlight(): Map<string, string[]>;
  /** Hands claimed entries to the consumer, as if read. */
  deliver(entries: StreamEntry[]): void;
  /** An entry delivered more than `maxDeliveries` times; it stays pending until handled. */
  poisoned(entry: StreamEntry, deliveries: number): void;
  fail(error: unknown): void;
}

export interface ReclaimerOptions {
  /** An entry pending this long (ms) on another consumer is taken over. */
  minIdleMs: number;
  /** Most entries taken over per stream and round. */
  count: number;
  /** Deliveries after which an entry is poison instead of being run again. */
  maxDeliveries: number;
}

type AutoclaimReply = [string, [string, string[] | null][], string[]?];

/**
 * Recovers the work of consumers that died: every `minIdleMs / 2` it claims
 * entries left pending that long (XAUTOCLAIM) and hands them to its consumer,
 * or reports them as poison past `maxDeliveries`. It also renews the lease of
 * the entries its own consumer is still running, every `minIdleMs / 3`, so
 * that a long job is not taken over while it runs.
 */
export class Reclaimer {
  private claimTimer?: NodeJS.Timeout;
  private renewTimer?: NodeJS.Timeout;
  private claiming = false;
  /** Rounds under way, so `stop` can wait for them. */
  private readonly rounds = new InFlight();

  constructor(
    private readonly host: ReclaimerHost,
    private readonly options: ReclaimerOptions,
  ) {}

  start(): void {
    const { minIdleMs } = this.options;
    this.claimTimer = setInterval(
      () => void this.rounds.track(this.claimOnce()),
      Math.max(50, minIdleMs / 2),
    );
    this.renewTimer = setInterval(
      () => void this.rounds.track(this.renewOnce()),
      Math.max(30, minIdleMs / 3),
    );
    this.claimTimer.unref();
    this.renewTimer.unref();
    void this.rounds.track(this.claimOnce());
  }

  /** Stops the timers; resolves once the round under way, if any, is over. */
  async stop(): Promise<void> {
    clearInterval(this.claimTimer);
    clearInterval(this.renewTimer);
    await this.rounds.settled();
  }

  /** One round of taking over idle entries, at most as many as there are free slots. */
  async claimOnce(): Promise<void> {
    if (this.claiming) return;
    this.claiming = true;
    try {
      for (const stream of this.host.streams) await this.claimFrom(stream);
    } catch (error) {
      this.host.fail(error);
    } finally {
      this.claiming = false;
    }
  }

  private async claimFrom(stream: string): Promise<void> {
    const { db, group, consumerId } = this.host;
    const free = Math.min(this.options.count, this.host.freeSlots());
    if (free <= 0) return;

    const [, claimed] = (await db.xautoclaim(
      stream,
      group,
      consumerId,
      this.options.minIdleMs,
      '0-0',
      'COUNT',
      free,
    )) as AutoclaimReply;
    // Redis 6.2 returns deleted entries with no fields; 7.x lists them apart.
    const entries = claimed
      .filter(([, fields]) => fields !== null)
      .map(([id, fields]) => ({ stream, id, fields: fields ?? [] }));
    if (entries.length === 0) return;

    const counts = await this.deliveryCounts(stream, entries);
    const fresh: StreamEntry[] = [];
    for (const entry of entries) {
      const deliveries = counts.get(entry.id) ?? 0;
      if (deliveries > this.options.maxDeliveries) this.host.poisoned(entry, deliveries);
      else fresh.push(entry);
    }
    this.host.deliver(fresh);
  }

  private async deliveryCounts(stream: string, entries: StreamEntry[]) {
    const { db, group, consumerId } = this.host;
    const ids = entries.map((entry) => entry.id);
    const rows = (await db.xpending(
      stream,
      group,
      ids[0],
      ids[ids.length - 1],
      entries.length,
      consumerId,
    )) as [string, string, number, number][];
    return new Map(rows.map(([id, , , deliveries]) => [id, Number(deliveries)]));
  }

  /** Resets the idle time of entries still running here (XCLAIM JUSTID counts no delivery). */
  async renewOnce(): Promise<void> {
    const { db, group, consumerId } = this.host;
    try {
      for (const [stream, ids] of this.host.inFlight()) {
        if (ids.length > 0)
          await db.call('XCLAIM', stream, group, consumerId, 0, ...ids, 'JUSTID');
      }
    } catch (error) {
      this.host.fail(error);
    }
  }
}
