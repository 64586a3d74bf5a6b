import { Batcher } from './batcher.js';
import {
  Consumer,
  type ConsumerSettings,
  type PollResult,
  type StreamEntry,
} from './consumer.js';
import { GROUP, type QueueKeys } from './keys.js';
import type { Janitor } from './retention.js';
import { scripts } from './scripts/index.js';
import type { RedisClient } from './types.js';
import { InFlight, settlesWithin } from './wait.js';

/** One outcome, as the move-to-finished script takes it. */
export interface Outcome {
  kind: 'c' | 'r' | 'f' | 'b' | 'a';
  entry: StreamEntry;
  jobId: string;
  text: string;
  detail: string;
  /** For 'r': when the retry is due (epoch ms), 0 for now. */
  dueAt: number;
  /** The attempt this outcome is of; 0 for 'b' and 'a'. */
  attempt: number;
}

/** move-to-processing's reply for one job; see the script. */
export type Activated =
  | null
  | [state: string]
  | [string, string, string, string, number, string, string, string];

/**
 * Replaces lone UTF-16 surrogates (an error message may hold any string):
 * JSON.stringify writes them as \u escapes that Redis's cjson rejects.
 */
function wellFormed(text: string): string {
  return text === '' ? text : text.replace(LONE_SURROGATE, '\uFFFD');
}
const LONE_SURROGATE = /\p{Cs}/gu;

/** Delayed jobs are checked at least this often, in case a wake-up went elsewhere. */
const DUE_CHECK_EVERY_MS = 30_000;
const PROMOTE_CHUNK = 500;
/** Finished records are checked against the retention policy this often. */
const SWEEP_EVERY_MS = 60_000;

/**
 * The Redis side of consuming one queue: its Consumer, reading in strict
 * priority order through fetch-jobs; promotion of due delayed jobs; and the
 * batched scripts that mark jobs processing and record outcomes.
 */
export class QueueRunner {
  readonly consumer: Consumer;
  readonly activate: Batcher<string, Activated>;
  /** Records outcomes; resolves with whether each one counted (see the script). */
  readonly finish: Batcher<Outcome, boolean>;
  private readonly blockMs: number;
  /** Something may be deliverable that a plain blocking read would not see first. */
  private dirty = true;
  private nextDueAt = 0;
  private lastDueCheck = 0;
  /** Outcomes being recorded after their handler finished. */
  private readonly settling = new InFlight();
  onError: (error: unknown) => void = () => undefined;
  private lastSweep = 0;
  /** Jobs that fetch-jobs marked processing as it delivered them. */
  private readonly prefetched = new WeakMap<StreamEntry, Activated>();

  constructor(
    private readonly db: RedisClient,
    readonly keys: QueueKeys,
    settings: ConsumerSettings & { concurrency: number },
    handler: (entry: StreamEntry) => Promise<void>,
    onPoison: (entry: StreamEntry, deliveries: number) => Promise<void>,
    private readonly janitor: Janitor,
  ) {
    this.blockMs = settings.read?.blockMs ?? 5000;
    this.consumer = new Consumer({
      ...settings,
      db,
      streams: [keys.stream, keys.lane],
      group: GROUP,
      ack: 'manual',
      handler: (entry) => {
        this.dirty = true;
        return handler(entry);
      },
      poll: (count) => this.poll(count),
      onPoison,
    });
    // Entries of one read reach their activation in one burst of callbacks:
    // gathering them costs no wait, and the wait is on the path to the handler.
    this.activate = new Batcher(
      (ids) =>
        scripts.moveToProcessing.run<Activated[]>(
          db,
          ids.map((id) => keys.job(id)),
          [Date.now()],
        ),
      'tick',
    );
    this.finish = new Batcher((outcomes) => this.record(outcomes));
  }

  /** Jobs running, or finished and being recorded. */
  get active(): number {
    return this.consumer.active + this.settling.size;
  }

  /**
   * Marks the job of a delivered entry processing and returns what its
   * handler needs; free for entries from fetch-jobs, which did it already.
   */
  activation(entry: StreamEntry, jobId: string): Activated | Promise<Activated> {
    const row = this.prefetched.get(entry);
    if (row === undefined) return this.activate.add(jobId);
    this.prefetched.delete(entry);
    return row;
  }

  /** Keeps a recording in flight in view, so `stop` can wait for it. */
  track(recording: Promise<void>): void {
    void this.settling.track(recording.catch(this.onError));
  }

  /** Stops reading; jobs in flight, and their recording, get `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.consumer.stop({ timeoutMs });
    await settlesWithin(this.settling.settled(), deadline - Date.now());
  }

  /** A wake-up signal from the lane: note what it says, then acknowledge it. */
  async onSignal(entry: StreamEntry, signal: string, at: number): Promise<void> {
    if (signal === 'd' && Number.isFinite(at)) this.dueAt(at);
    await this.finish.add({
      kind: 'a',
      entry,
      jobId: '',
      text: '',
      detail: '',
      dueAt: 0,
      attempt: 0,
    });
  }

  /** A delayed job of this queue falls due at `at` (epoch ms). */
  dueAt(at: number): void {
    if (at >= this.nextDueAt) return;
    this.nextDueAt = at;
    void this.consumer.wake();
  }

  private async poll(count: number): Promise<PollResult> {
    const now = Date.now();
    if (now >= this.nextDueAt || now - this.lastDueCheck >= DUE_CHECK_EVERY_MS) {
      await this.promoteDue(now);
    }
    if (now - this.lastSweep >= SWEEP_EVERY_MS) {
      // Finished records past their age go even while the queue is quiet.
      this.lastSweep = now;
      void this.janitor.sweep(this.keys);
    }
    const blockMs = Math.min(this.blockMs, Math.max(1, this.nextDueAt - Date.now()));
    if (!this.dirty) return { entries: [], blockMs };

    const { keys } = this;
    const fetching = scripts.fetchJobs.run<[number, string?, string?]>(
      this.db,
      [keys.stream, keys.lane, keys.prioritized, keys.meta],
      [GROUP, this.consumer.consumerId, count, keys.job(''), Date.now()],
    );
    // Outcomes of the jobs whose slots this read fills go out right behind it,
    // not a turn of the event loop later: they are on the way to the next read.
    this.finish.sendNow();
    const [paused, stream, delivered] = await fetching;
    // Paused: listen only for the resume signal, and look again after blockMs.
    if (paused === 1) return { entries: [], blockMs, streams: [keys.lane] };
    if (stream === undefined || delivered === undefined) {
      this.dirty = false;
      return { entries: [], blockMs };
    }

    const rows = JSON.parse(delivered) as [string, string[], Activated | false | 0][];
    const entries = rows.map(([id, fields, job]) => {
      const entry: StreamEntry = { stream, id, fields };
      if (job !== 0) this.prefetched.set(entry, job === false ? null : job);
      return entry;
    });
    return { entries, blockMs };
  }

  private async promoteDue(now: number): Promise<void> {
    const { keys } = this;
    this.lastDueCheck = now;
    for (;;) {
      const ids = await this.db.zrangebyscore(
        keys.delayed,
        '-inf',
        now,
        'LIMIT',
        0,
        PROMOTE_CHUNK,
      );
      if (ids.length === 0) {
        const [, score] = await this.db.zrange(keys.delayed, 0, 0, 'WITHSCORES');
        this.nextDueAt = score === undefined ? Infinity : Number(score);
        return;
      }
      const next = await scripts.promoteDelayed.run<string | null>(
        this.db,
        [...keys.enqueueKeys, ...ids.map(keys.job)],
        [now, ...ids],
      );
      this.dirty = true;
      this.nextDueAt = next === null ? Infinity : Number(next);
      if (ids.length < PROMOTE_CHUNK) return;
    }
  }

  private async record(outcomes: Outcome[]): Promise<boolean[]> {
    const { keys } = this;
    const items: string[][] = [];
    for (const outcome of outcomes) {
      const { kind, entry, jobId, dueAt, attempt } = outcome;
      const text = wellFormed(outcome.text);
      const detail = wellFormed(outcome.detail);
      const head = entry.stream === keys.lane ? `${kind}1` : `${kind}0`;
      const run = String(attempt);
      if (kind === 'c') items.push([head, entry.id, jobId, run, text]);
      else if (kind === 'r')
        items.push([head, entry.id, jobId, run, text, detail, String(dueAt)]);
      else if (kind === 'f') items.push([head, entry.id, jobId, run, text, detail]);
      else if (kind === 'b') items.push([head, entry.id, jobId, text, detail]);
      else items.push([head, entry.id]);
    }
    const args = [GROUP, Date.now(), keys.job(''), JSON.stringify(items)];

    const [completed, failed, recorded] = await scripts.moveToFinished.run<
      [number, number, number[]]
    >(this.db, [...keys.enqueueKeys, keys.completed, keys.failed, keys.dlq], args);
    for (const { kind, dueAt } of outcomes)
      if (kind === 'r' && dueAt > 0) this.dueAt(dueAt);
    this.janitor.afterFinish(keys, completed, failed);
    return recorded.map((flag) => flag === 1);
  }
}
