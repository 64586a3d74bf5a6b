// `npm run chaos [-- --jobs N --workers W --kills K]`: the chaos harness from
// the command line. Exits non-zero when any job is lost.
import { parseOptions, wholeNumber } from '../cli.js';
import { exitOnSignals } from '../exit-on-signals.js';
import { runChaos } from './harness.js';

exitOnSignals();

const values = parseOptions('chaos', {
  jobs: { type: 'string', default: '5000' },
  workers: { type: 'string', default: '4' },
  kills: { type: 'string', default: '8' },
  'no-restart': { type: 'boolean', default: false },
});
const report = await runChaos({
  jobs: wholeNumber('chaos', 'jobs', values.jobs),
  workers: wholeNumber('chaos', 'workers', values.workers, { max: 64 }),
  kills: wholeNumber('chaos', 'kills', values.kills, { min: 0, max: 10_000 }),
  restartRedis: !values['no-restart'],
  timeoutMs: 120_000,
});
const { jobs, runs, duplicates, lost, deadLettered, seconds } = report;
console.log(
  `jobs ${jobs}  runs ${runs}  duplicates ${duplicates}  lost ${lost}  ` +
    `dead-lettered ${deadLettered}  (${seconds.toFixed(1)} s)`,
);
process.exit(lost > 0 ? 1 : 0);
