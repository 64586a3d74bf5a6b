import type { QueueKeys } from './keys.js';
import { scripts } from './scripts/index.js';
import type { RedisClient } from './types.js';
import { InFlight } from './wait.js';

/** How many finished jobs of one kind to keep, and for how long. */
export interface KeepPolicy {
  /** Newest jobs kept. */
  count: number;
  /** Jobs finished longer ago than this many ms are removed. */
  ageMs: number;
}

/** Retention of finished job records, per queue. */
export interface RetentionOptions {
  /** Default: the newest 1,000, for at most 24 hours. */
  completed?: Partial<KeepPolicy>;
  /** Default: the newest 10,000, for at most 7 days. */
  failed?: Partial<KeepPolicy>;
}

const HOUR = 3_600_000;
const DEFAULTS = {
  completed: { count: 1_000, ageMs: 24 * HOUR },
  failed: { count: 10_000, ageMs: 7 * 24 * HOUR },
};
const AGE_CHECK_EVERY_MS = 60_000;
/** Most records one trim call deletes, so no call blocks Redis for long. */
const CHUNK = 1000;

type Finished = 'completed' | 'failed';

/**
 * Removes finished job records past the retention policy. It runs when a
 * queue reports more finished jobs than it keeps (plus slack, so the cost is
 * paid per hundreds of jobs, not per job) and at most once a minute for age.
 * Unprocessed entries are never touched.
 */
export class Janitor {
  private readonly policy: Record<Finished, KeepPolicy>;
  private readonly busy = new Set<string>();
  /** Trims under way, so `idle` can wait for them. */
  private readonly running = new InFlight();
  private readonly lastAgeCheck = new Map<string, number>();

  constructor(
    private readonly db: RedisClient,
    options: RetentionOptions = {},
    private readonly onError: (error: unknown) => void,
  ) {
    this.policy = {
      completed: { ...DEFAULTS.completed, ...options.completed },
      failed: { ...DEFAULTS.failed, ...options.failed },
    };
  }

  /** Called after outcomes were recorded, with the sizes of the finished sets. */
  afterFinish(keys: QueueKeys, completed: number, failed: number): void {
    const now = Date.now();
    const ageDue = now - (this.lastAgeCheck.get(keys.queue) ?? 0) >= AGE_CHECK_EVERY_MS;
    if (ageDue) this.lastAgeCheck.set(keys.queue, now);

    for (const [which, size] of [
      ['completed', completed],
      ['failed', failed],
    ] as const) {
      const { count } = this.policy[which];
      const over = size > count + Math.max(100, Math.floor(count / 10));
      if (over || (ageDue && size > 0)) void this.trim(keys, which);
    }
  }

  /** Trims both finished sets of a queue now, for age as well as count. */
  sweep(keys: QueueKeys): Promise<void> {
    this.lastAgeCheck.set(keys.queue, Date.now());
    return this.running.track(
      (async () => {
        await this.trim(keys, 'completed');
        await this.trim(keys, 'failed');
      })(),
    );
  }

  /** Resolves once no trim is under way (after the consumers stopped, none starts). */
  idle(): Promise<void> {
    return this.running.settled();
  }

  /** Removes what the policy no longer keeps; resolves with how many were removed. */
  trim(keys: QueueKeys, which: Finished, now = Date.now()): Promise<number> {
    return this.running.track(this.trimNow(keys, which, now));
  }

  private async trimNow(keys: QueueKeys, which: Finished, now: number): Promise<number> {
    const set = keys[which];
    if (this.busy.has(set)) return 0;
    this.busy.add(set);
    try {
      const { count, ageMs } = this.policy[which];
      let removed = 0;
      for (;;) {
        const batch = await scripts.trimFinished.run<number>(
          this.db,
          [set],
          [keys.job(''), keys.logs(''), count, now - ageMs, CHUNK],
        );
        removed += batch;
        if (batch < CHUNK) break;
      }
      return removed;
    } catch (error) {
      this.onError(error);
      return 0;
    } finally {
      this.busy.delete(set);
    }
  }
}
