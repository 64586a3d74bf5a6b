// `npm run chaos [-- --jobs N --workers W --kills K]`: the chaos harness from
// the command line. Exits non-zero when any job is lost.
import { parseArgs } from 'node:util';

import { exitOnSignals } from '../exit-on-signals.js';
import { runChaos } from './harness.js';

exitOnSignals();

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '5000' },
    workers: { type: 'string', default: '4' },
    kills: { type: 'string', default: '8' },
    'no-restart': { type: 'boolean', default: false },
  },
});

const report = await runChaos({
  jobs: Number(values.jobs),
  workers: Number(values.workers),
  kills: Number(values.kills),
  restartRedis: !values['no-restart'],
  timeoutMs: 120_000,
});
const { jobs, runs, duplicates, lost, deadLettered, seconds } = report;
console.log(
  `jobs ${jobs}  runs ${runs}  duplicates ${duplicates}  lost ${lost}  ` +
    `dead-lettered ${deadLettered}  (${seconds.toFixed(1)} s)`,
);
process.exit(lost > 0 ? 1 : 0);
