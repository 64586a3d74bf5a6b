// `npm run bench`: REMQ and BullMQ side by side on one throwaway Redis,
// alternating, each scenario several times; prints medians and ratios.
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

import { Redis } from 'ioredis';

import { parseOptions, toolRedis, wholeNumber } from '../cli.js';
import { exitOnSignals } from '../exit-on-signals.js';
import { bullmq, remq, type Subject } from './subjects.js';

const values = parseOptions('bench', {
  rounds: { type: 'string', default: '3' },
  jobs: { type: 'string', default: '20000' },
  'idle-seconds': { type: 'string', default: '60' },
});
const ROUNDS = wholeNumber('bench', 'rounds', values.rounds, { max: 1000 });
const JOBS = wholeNumber('bench', 'jobs', values.jobs);
// A day at most: longer waits do not fit a timer.
const IDLE_SECONDS = wholeNumber('bench', 'idle-seconds', values['idle-seconds'], {
  max: 86_400,
});

exitOnSignals();

const server = await toolRedis('bench');
const admin = new Redis(server.url);
let serial = 0;
const fresh = () => `b${(serial += 1)}`;
const makers = [
  (prefix: string) => remq(server.url, prefix),
  (prefix: string) => bullmq(server.url, prefix),
];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Bytes Redis holds for every key (the database holds only the subject's),
 * as MEMORY USAGE reports them with all samples. Not INFO's used_memory:
 * that also moves with client buffers and allocations left over from the
 * commands just run, by hundreds of bytes per job in both libraries.
 */
async function usedMemory(): Promise<number> {
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'COUNT', 1000);
    const sizes = await Promise.all(
      keys.map((key) => admin.memory('USAGE', key, 'SAMPLES', 0)),
    );
    total += sizes.reduce<number>((sum, size) => sum + Number(size ?? 0), 0);
    cursor = next;
  } while (cursor !== '0');
  return total;
}

/**
 * The longest one step (a library's measurement, the floor, the idle count)
 * may take; past it the bench says which step stalled and exits 1, since a
 * frozen Redis would otherwise stall it anywhere.
 */
const LIMIT_MS = Math.max(120_000, JOBS * 10) + IDLE_SECONDS * 1000;
let step = { name: 'starting', until: Date.now() + LIMIT_MS };
const startStep = (name: string) => (step = { name, until: Date.now() + LIMIT_MS });
setInterval(() => {
  if (Date.now() <= step.until) return;
  console.error(
    `bench: ${step.name} took over ${LIMIT_MS / 1000} s; is Redis answering?`,
  );
  process.exit(1);
}, 1000).unref();

/**
 * Runs `measure` on a fresh prefix for each subject, ROUNDS times,
 * alternating, which goes first swapping every round (after `beforeRound`,
 * when given); per subject, the median of each figure it returns.
 */
async function figures(
  measure: (subject: Subject) => Promise<number[]>,
  beforeRound?: () => Promise<void>,
): Promise<number[][]> {
  const results: number[][][] = makers.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    if (beforeRound) {
      startStep('the floor');
      await beforeRound();
    }
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const make = makers[i];
      await admin.flushall();
      const subject = make(fresh());
      startStep(subject.name);
      results[i].push(await measure(subject));
      await subject.close();
    }
  }
  return results.map((rounds) =>
    rounds[0].map((_, k) => median(rounds.map((r) => r[k]))),
  );
}

/** One figure per run: per subject, its median. */
async function scenario(
  measure: (subject: Subject) => Promise<number>,
  beforeRound?: () => Promise<void>,
): Promise<number[]> {
  const medians = await figures(async (subject) => [await measure(subject)], beforeRound);
  return medians.map(([x]) => x);
}

/** CPU seconds Redis has used so far, user and system, as INFO cpu reports them. */
async function redisCpu(): Promise<number> {
  const info = await admin.info('cpu');
  const seconds = (name: string) =>
    Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1]);
  return seconds('used_cpu_user') + seconds('used_cpu_sys');
}

/**
 * Runs `work` over JOBS jobs: [jobs/s, µs of Redis CPU per job, the share of
 * the wall time Redis was busy].
 */
async function rateAndCpu(work: () => Promise<void>): Promise<number[]> {
  const cpuBefore = await redisCpu();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await redisCpu()) - cpuBefore;
  return [JOBS / seconds, (cpu * 1e6) / JOBS, cpu / seconds];
}

/** Processing JOBS pre-added jobs with a no-op handler, as rateAndCpu reports it. */
async function throughput(subject: Subject, concurrency: number): Promise<number[]> {
  await subject.addBulk('q', JOBS);
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let stop!: () => Promise<void>;
  const measured = await rateAndCpu(async () => {
    stop = await subject.consume('q', concurrency, () => ++done === JOBS && finish());
    await finished;
  });
  await stop();
  return measured;
}

/** Emit-to-handler latency in ms at a steady 1k jobs/s, as [p50, p99]. */
async function latency(subject: Subject): Promise<[number, number]> {
  const samples: number[] = [];
  const now = () => performance.timeOrigin + performance.now();
  const stop = await subject.consume(
    'lat',
    10,
    () => undefined,
    (data) => {
      samples.push(now() - data.sentAt);
    },
  );
  const total = 3000;
  const started = performance.now();
  for (let i = 0; i < total; i += 1) {
    const wait = started + i - performance.now();
    if (wait > 0) await sleep(wait);
    void subject.add('lat', i, { sentAt: now() });
  }
  while (samples.length < total) await sleep(10);
  await stop();
  const sorted = samples.slice(500).sort((x, y) => x - y);
  return [
    sorted[Math.floor(sorted.length * 0.5)],
    sorted[Math.floor(sorted.length * 0.99)],
  ];
}

/**
 * Redis bytes per job: waiting (no consumer), or finished and retained. The
 * growth from `base` to `base + more` jobs, so fixed costs are left out:
 * BullMQ's events stream, capped at 10,000 entries, would otherwise count
 * as hundreds of bytes per job at first and less with every job added.
 * Finished jobs are all kept here (REMQ keeps the newest 1,000 by default),
 * so each one's own cost shows.
 */
async function memoryPerJob(subject: Subject, finished: boolean): Promise<number> {
  // Enough jobs first to fill BullMQ's events stream (about 4 events per
  // finished job, 1 per waiting one).
  const [base, more] = finished ? [3000, 2000] : [10_000, 10_000];
  let recorded = 0;
  const stop = finished
    ? await subject.consume('mem', 50, () => (recorded += 1), undefined, {
        keepFinished: true,
      })
    : undefined;
  const fill = async (count: number) => {
    const target = recorded + count;
    await subject.addBulk('mem', count);
    while (finished && recorded < target) await sleep(20);
  };
  await fill(base);
  const before = await usedMemory();
  await fill(more);
  const after = await usedMemory();
  await stop?.();
  return (after - before) / more;
}

/** Commands per second Redis serves while ten queues sit idle with their consumers. */
async function idleCommands(subject: Subject): Promise<number> {
  const stops = await Promise.all(
    Array.from({ length: 10 }, (_, i) => subject.consume(`idle${i}`, 1, () => undefined)),
  );
  await sleep(1500);
  await admin.config('RESETSTAT');
  await sleep(IDLE_SECONDS * 1000);
  const stats = await admin.info('commandstats');
  // INFO and CONFIG RESETSTAT are the bench's own.
  const calls = [...stats.matchAll(/^cmdstat_(\w+\|?\w*):calls=(\d+)/gm)]
    .filter(([, name]) => name !== 'info' && !name.startsWith('config'))
    .reduce((sum, [, , n]) => sum + Number(n), 0);
  await Promise.all(stops.map((stop) => stop()));
  return calls / IDLE_SECONDS;
}

/**
 * The floor: a bare XADD / XREADGROUP / XACK loop over one stream, as
 * rateAndCpu reports it.
 */
async function bareStream(): Promise<number[]> {
  const db = new Redis(server.url);
  await db.xgroup('CREATE', 'bare', 'g', '0', 'MKSTREAM');
  for (let i = 0; i < JOBS; i += 1000) {
    const pipeline = db.pipeline();
    for (let j = i; j < Math.min(i + 1000, JOBS); j += 1)
      pipeline.xadd('bare', '*', 'n', String(j));
    await pipeline.exec();
  }
  const measured = await rateAndCpu(async () => {
    for (let done = 0; done < JOBS;) {
      const reply = (await db.xreadgroup(
        'GROUP',
        'g',
        'c',
        'COUNT',
        50,
        'STREAMS',
        'bare',
        '>',
      )) as [string, [string, string[]][]][] | null;
      const ids = reply?.[0][1].map(([id]) => id) ?? [];
      if (ids.length > 0) await db.xack('bare', 'g', ...ids);
      done += ids.length;
    }
  });
  db.disconnect();
  return measured;
}

const lines: string[] = [];
const row = (name: string, unit: string, [r, b]: number[], higherIsBetter = true) => {
  // Equal figures (zero commands in a short idle window, say) are 1x.
  const ratio = r === b ? 1 : higherIsBetter ? r / b : b / r;
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  const shown = Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a (a zero)';
  lines.push(`| ${name} | ${fmt(r)} ${unit} | ${fmt(b)} ${unit} | ${shown} |`);
  console.log(lines[lines.length - 1]);
};

const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
const require = createRequire(import.meta.url);
const bullmqVersion = (require('bullmq/package.json') as { version: string }).version;
console.log(
  `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; Node ${process.version}, ` +
    `Redis ${redisVersion}, BullMQ ${bullmqVersion}; ${ROUNDS} rounds, ${JOBS} jobs\n`,
);
console.log(`| scenario | REMQ | BullMQ | REMQ advantage |\n| --- | --- | --- | --- |`);

row(
  'emitBulk vs addBulk',
  'jobs/s',
  await scenario(async (subject) => {
    const started = performance.now();
    await subject.addBulk('q', JOBS);
    return JOBS / ((performance.now() - started) / 1000);
  }),
);

row(
  'single awaited emit vs add',
  'jobs/s',
  await scenario(async (subject) => {
    const count = 3000;
    const started = performance.now();
    for (let i = 0; i < count; i += 1) await subject.add('q', i);
    return count / ((performance.now() - started) / 1000);
  }),
);

row(
  'processing, no-op handler, concurrency 1',
  'jobs/s',
  await scenario(async (subject) => (await throughput(subject, 1))[0]),
);
// The floor runs in the same rounds as concurrency 50, just before it.
const floors: number[][] = [];
const atFifty = await figures(
  (subject) => throughput(subject, 50),
  async () => {
    await admin.flushall();
    floors.push(await bareStream());
  },
);
row('processing, no-op handler, concurrency 50', 'jobs/s', [
  atFifty[0][0],
  atFifty[1][0],
]);
// What bounds the rate: Redis's own time per job, and how busy it was.
const busy = (share: number) => `${(share * 100).toFixed(0)}% busy`;
lines.push(
  `| Redis CPU per job at concurrency 50 | ${atFifty[0][1].toFixed(1)} µs, ${busy(atFifty[0][2])} | ` +
    `${atFifty[1][1].toFixed(1)} µs, ${busy(atFifty[1][2])} | ${(atFifty[1][1] / atFifty[0][1]).toFixed(2)}x |`,
);
console.log(lines[lines.length - 1]);

const latencies = await figures(latency);
row('latency p50 at 1k jobs/s', 'ms', [latencies[0][0], latencies[1][0]], false);
row('latency p99 at 1k jobs/s', 'ms', [latencies[0][1], latencies[1][1]], false);

row(
  'Redis memory per waiting job',
  'B',
  await scenario((s) => memoryPerJob(s, false)),
  false,
);
row(
  'Redis memory per retained finished job',
  'B',
  await scenario((s) => memoryPerJob(s, true)),
  false,
);

// Once per library: the count is the same every time, and the window is long
// enough to hold every periodic task (claims every 15 s, due checks every
// 30 s, retention sweeps every 60 s).
const idle: number[] = [];
for (const make of makers) {
  await admin.flushall();
  const subject = make(fresh());
  startStep(`${subject.name}, idle`);
  idle.push(await idleCommands(subject));
  await subject.close();
}
row(
  `Redis commands/s, 10 idle queues with consumers (${IDLE_SECONDS} s)`,
  'cmd/s',
  idle,
  false,
);

const [floor, floorCpu, floorBusy] = [0, 1, 2].map((k) =>
  median(floors.map((f) => f[k])),
);
lines.push(
  `| bare XADD/XREADGROUP/XACK floor | ${floor.toFixed(0)} jobs/s (Redis ${floorCpu.toFixed(1)} µs per job, ${busy(floorBusy)}) | | ` +
    `REMQ at c=50: ${(atFifty[0][0] / floor).toFixed(2)} of it |`,
);
console.log(lines[lines.length - 1]);
startStep('the end');
await admin.flushall();
admin.disconnect();
await server.kill();
