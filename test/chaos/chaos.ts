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
  'timeout-seconds': { type: 'string', default: '120' },
});
const timeoutSeconds = wholeNumber(
  'chaos',
  'timeout-seconds',
  values['timeout-seconds'],
  {
    max: 86_400,
  },
);
const report = await runChaos({
  jobs: wholeNumber('chaos', 'jobs', values.jobs),
  workers: wholeNumber('chaos', 'workers', values.workers, { max: 64 }),
  kills: wholeNumber('chaos', 'kills', values.kills, { min: 0, max: 10_000 }),
  restartRedis: !values['no-restart'],
  timeoutMs: timeoutSeconds * 1000,
}).catch((error: Error) => {
  console.error(`chaos: ${error.message}`);
  return process.exit(1);
});
const { jobs, runs, duplicates, lost, deadLettered, seconds, timedOut } = report;
if (timedOut) {
  // Not lost, as far as anyone knows: the queue was still busy.
  console.log(
    `jobs ${jobs}  runs ${runs}  not completed ${lost}  (gave up waiting after ` +
      `${timeoutSeconds} s; a larger run needs a larger --timeout-seconds)`,
  );
  process.exit(1);
}
console.log(
  `jobs ${jobs}  runs ${runs}  duplicates ${duplicates}  lost ${lost}  ` +
    `dead-lettered ${deadLettered}  (${seconds.toFixed(1)} s)`,
);
process.exit(lost > 0 ? 1 : 0);
