// `npm run sample`: builds the package and the sample app, makes sure a Redis
// answers at REDIS_URL (starting a throwaway redis-server for a local URL when
// none does), then runs the app until it exits or gets SIGINT/SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const url = new URL(REDIS_URL);
const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
const port = Number(url.port || 6379);
const local = ['localhost', '127.0.0.1', '::1'].includes(host);

let redis, app;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => (app ? app.kill(signal) : process.exit(1)));
}

run('npm', ['run', '--silent', 'build']);
run('node_modules/.bin/tsc', ['-p', 'sample-app/tsconfig.json']);

if (!(await answers())) {
  if (!local) fail(`no Redis answers at ${REDIS_URL}`);
  if (spawnSync('redis-server', ['--version']).error) {
    fail(
      `no Redis answers at ${REDIS_URL} and redis-server is not installed: ` +
        `apt-get install -y redis-server, or set REDIS_URL to a running Redis`,
    );
  }
  redis = await startRedis();
}

app = spawn(process.execPath, ['sample-app/dist/main.js'], {
  stdio: 'inherit',
  env: { ...process.env, REDIS_URL },
});
killWithUs(app);
const [code, signal] = await once(app, 'exit');
await stopRedis();
process.exit(code ?? 128 + (constants.signals[signal] ?? 0));

/** Runs a build step; stops here if it fails. */
function run(command, args) {
  const { status, error } = spawnSync(command, args, { stdio: 'inherit' });
  if (error) fail(`${command}: ${error.message}`);
  if (status !== 0) process.exit(status ?? 1);
}

function fail(message) {
  console.error(`sample: ${message}`);
  process.exit(1);
}

/** Whether something at host:port answers a PING the way Redis does. */
function answers(timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    // `+PONG`, or an error such as `-NOAUTH` from a Redis with a password.
    socket.once('data', (reply) => done(/^[+-]/.test(reply.toString())));
  });
}

/** A redis-server on the URL's port that keeps nothing on disk and dies with us. */
async function startRedis() {
  const bind = host === 'localhost' ? '127.0.0.1' : host;
  const noDisk = ['--save', '', '--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', bind, ...noDisk];
  // Its own process group, so a Ctrl-C meant for the app does not stop Redis under it.
  const child = spawn('redis-server', args, { stdio: 'ignore', detached: true });
  process.on('exit', () => child.kill());
  killWithUs(child);
  let exited = false;
  child.on('exit', () => (exited = true));
  for (let i = 0; i < 50 && !exited; i++) {
    if (await answers()) {
      console.log(`sample: started a throwaway redis-server on port ${port}`);
      return child;
    }
    await sleep(100);
  }
  child.kill();
  fail(`redis-server did not start on port ${port}`);
}

/**
 * Kills `child` when this launcher dies, even by SIGKILL (no 'exit' handler
 * runs then): a shell reads a pipe only we hold open, and kills unless it
 * reads `stop` first, which we send once the child is gone.
 */
function killWithUs(child) {
  const script = `IFS= read -r word; [ "$word" = stop ] || kill -9 ${child.pid} 2>/dev/null`;
  const watchdog = spawn('sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => {});
  watchdog.stdin.on('error', () => {});
  watchdog.unref();
  child.once('exit', () => watchdog.stdin.end('stop\n'));
}

async function stopRedis() {
  if (!redis || redis.exitCode !== null || redis.signalCode !== null) return;
  redis.kill();
  await Promise.race([once(redis, 'exit'), sleep(3000)]);
}
