import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { TaskManager } from '../../lib/core/index.js';
import { ThrowawayRedis } from '../redis-server.js';

export interface ChaosOptions {
  jobs: number;
  workers: number;
  /** Workers SIGKILLed (and replaced) at random moments. */
  kills: number;
  /** Restart Redis (SIGKILL, persistence on) once, half-way through. */
  restartRedis: boolean;
  /** Give up waiting for the queue to settle after this long, in ms. */
  timeoutMs: number;
}

export interface ChaosReport {
  /** The queue did not settle within timeoutMs: jobs not completed may still have run. */
  timedOut: boolean;
  jobs: number;
  runs: number;
  duplicates: number;
  lost: number;
  deadLettered: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WORKER = new URL('./worker.ts', import.meta.url).pathname;

/**
 * Emits `jobs` jobs, runs them on worker processes that are SIGKILLed at
 * random moments, restarts Redis once, then counts how often each job ran.
 * A job is lost when it never completed.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'remq-chaos-'));
  // Its append-only files go however the run ends: here, on 'exit' (Ctrl-C,
  // a kill), and by the server's watchdog when this process is SIGKILLed.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const redis = await ThrowawayRedis.start(
    ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
    { removeOnDeath: dir },
  );
  // Redis dying on its own ends the run: nothing would answer it again.
  let died!: (why: string) => void;
  const death = new Promise<never>(
    (_, reject) => (died = (why) => reject(new Error(why))),
  );
  death.catch(() => undefined);
  redis.onUnexpectedExit = died;
  const prefix = 'chaos';
  const db = new Redis(redis.url, { maxRetriesPerRequest: null });
  db.on('error', () => undefined);
  const tasks = TaskManager.init({ db, prefix });
  tasks.on('error', () => undefined);
  const workers = new Set<ChildProcess>();
  const killWorkers = () => workers.forEach((child) => child.kill('SIGKILL'));
  process.once('exit', killWorkers);

  const spawnWorker = async () => {
    const child = fork(WORKER, [redis.url, prefix], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    workers.add(child);
    child.on('exit', () => workers.delete(child));
    await Promise.race([once(child, 'message'), once(child, 'exit')]);
  };

  const restartRedis = async () => {
    await redis.kill();
    await sleep(200);
    await redis.up();
  };

  const run = async (): Promise<ChaosReport> => {
    await Promise.all(Array.from({ length: options.workers }, spawnWorker));
    const ids = Array.from({ length: options.jobs }, (_, n) => `job-${n}`);
    for (let i = 0; i < ids.length; i += 500) {
      await tasks.emitBulk(
        ids.slice(i, i + 500).map((id, j) => ({
          event: 'work',
          queue: 'chaos',
          data: { n: i + j },
          options: { id },
        })),
      );
    }

    for (let kill = 0; kill < options.kills; kill += 1) {
      await sleep(200 + Math.random() * 400);
      const victims = [...workers];
      victims[Math.floor(Math.random() * victims.length)]?.kill('SIGKILL');
      if (options.restartRedis && kill === Math.floor(options.kills / 2))
        await restartRedis();
      await spawnWorker();
    }
    if (options.restartRedis && options.kills === 0) {
      await sleep(200 + Math.random() * 400);
      await restartRedis();
    }

    const settled = await settle(tasks, options.timeoutMs);
    const report = await count(db, prefix, ids, (Date.now() - started) / 1000);
    return { ...report, timedOut: !settled };
  };

  // The whole run has a limit too: a frozen Redis would stall it anywhere.
  const limitMs = options.timeoutMs + 60_000 + options.jobs * 2;
  let limitTimer: NodeJS.Timeout | undefined;
  const overtime = new Promise<never>((_, reject) => {
    limitTimer = setTimeout(
      () =>
        reject(new Error(`the run took over ${limitMs / 1000} s; is Redis answering?`)),
      limitMs,
    );
  });
  try {
    return await Promise.race([run(), death, overtime]);
  } finally {
    clearTimeout(limitTimer);
    killWorkers();
    process.off('exit', killWorkers);
    db.disconnect();
    await redis.kill();
    removeDir();
    process.off('exit', removeDir);
  }
}

/**
 * Waits until the queue holds nothing waiting, delayed or running, for a
 * second; false when it did not within timeoutMs.
 */
async function settle(tasks: TaskManager, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = 0;
  while (Date.now() < deadline) {
    const stats = await tasks.admin.getQueueStats('chaos').catch(() => undefined);
    const busy = !stats || stats.waiting + stats.delayed + stats.processing > 0;
    if (busy) quietSince = 0;
    else if (!quietSince) quietSince = Date.now();
    else if (Date.now() - quietSince > 1000) return true;
    await sleep(100);
  }
  return false;
}

async function count(db: Redis, prefix: string, ids: string[], seconds: number) {
  // States first: a job counted completed has its run counted too, even
  // while workers still run (a run that timed out).
  const states = await Promise.all(
    ids.map((id) => db.hget(`{${prefix}:chaos}:job:${id}`, 'state')),
  );
  const runs = await db.hgetall(`${prefix}:runs`);
  let total = 0;
  let duplicates = 0;
  for (const id of ids) {
    const n = Number(runs[id] ?? 0);
    total += n;
    duplicates += Math.max(0, n - 1);
  }
  return {
    jobs: ids.length,
    runs: total,
    duplicates,
    lost: states.filter((state) => state !== 'completed').length,
    deadLettered: await db.xlen(`{${prefix}:chaos}:dlq`),
    seconds,
  };
}
