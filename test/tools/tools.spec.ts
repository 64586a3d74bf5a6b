import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readlinkSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import { answers, ThrowawayRedis } from '../redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(
  check: () => Promise<boolean> | boolean,
  ms = 5000,
): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    if (await check()) return true;
  }
  return false;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill 0; it is gone for every other purpose.
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)]).toString();
    return !state.trim().startsWith('Z');
  } catch {
    return false;
  }
};

const childrenOf = (pid: number, name?: string): number[] => {
  const result = spawnSync('pgrep', ['-P', String(pid), ...(name ? [name] : [])]);
  return result.stdout.toString().split('\n').filter(Boolean).map(Number);
};

describe('throwaway redis-server', () => {
  it('dies with the process that started it, even one killed by SIGKILL', async () => {
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/tools/hold-redis.ts'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [line] = (await once(holder.stdout, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    expect(await answers(port)).toBe(true);

    holder.kill('SIGKILL');
    await once(holder, 'exit');

    expect(await until(async () => !(await answers(port)))).toBe(true);
  });

  it('reports an exit nobody asked for, naming the server, and kill() after it returns', async () => {
    const server = await ThrowawayRedis.start();
    const reported = new Promise<string>(
      (resolve) => (server.onUnexpectedExit = resolve),
    );

    process.kill(server.pid!, 'SIGKILL');

    expect(await reported).toBe(`redis-server on port ${server.port} exited (SIGKILL)`);
    await server.kill();
  });

  it('does not report an exit that kill() asked for', async () => {
    const server = await ThrowawayRedis.start();
    let reported = '';
    server.onUnexpectedExit = (why) => (reported = why);

    await server.kill();
    await sleep(100);

    expect(reported).toBe('');
    expect(await answers(server.port)).toBe(false);
  });
});

describe('command-line tools', () => {
  const tool = (script: string, ...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
      encoding: 'utf8',
    });

  it.each([
    [
      'test/bench/bench.ts',
      ['--rounds', '0'],
      "bench: --rounds must be a whole number from 1 to 1000, got '0'",
    ],
    [
      'test/bench/bench.ts',
      ['--idle-seconds', '3000000'],
      'bench: --idle-seconds must be a whole number from 1 to 86400',
    ],
    [
      'test/bench/bench.ts',
      ['--bogus'],
      "bench: Unknown option '--bogus' (usage: npm run bench -- --rounds 3 --jobs 20000 --idle-seconds 60)",
    ],
    [
      'test/chaos/chaos.ts',
      ['--workers', 'two'],
      "chaos: --workers must be a whole number from 1 to 64, got 'two'",
    ],
    [
      'test/chaos/soak.ts',
      ['--jobs', '1.5'],
      "soak: --jobs must be a whole number from 1 to 10000000, got '1.5'",
    ],
  ])('%s %j exits 2 with one line naming the mistake', (script, args, message) => {
    const result = tool(script, ...args);

    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('--help lists the options with their defaults and exits 0', () => {
    const result = tool('test/chaos/chaos.ts', '--help');

    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      'npm run chaos [-- --jobs 5000 --workers 4 --kills 8',
    );
  });

  /** Starts `npm run <args>` and resolves once `ready` shows on its output. */
  async function npmRun(args: string[], ready: string) {
    const npm = spawn('npm', ['run', '-s', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer) => (output += chunk.toString());
    npm.stdout.on('data', onData);
    npm.stderr.on('data', onData);
    expect(await until(() => output.includes(ready), 20_000)).toBe(true);
    const [tool] = childrenOf(npm.pid!);
    const [redis] = childrenOf(tool, 'redis-server');
    return { npm, tool, redis, output: () => output };
  }

  it('a tool started by npm stops with its Redis when npm is killed, by SIGKILL too', async () => {
    // The table's header is printed once the bench's Redis is up.
    const { npm, tool, redis } = await npmRun(
      ['bench', '--', '--rounds', '1', '--jobs', '500000'],
      '| scenario',
    );
    expect(alive(redis)).toBe(true);

    npm.kill('SIGKILL');

    expect(await until(() => !alive(tool))).toBe(true);
    expect(await until(() => !alive(redis))).toBe(true);
  }, 30_000);

  it('chaos whose Redis dies says so and exits 1 instead of waiting forever', async () => {
    const { npm, output } = await npmRun(
      ['chaos', '--', '--jobs', '200000', '--kills', '0', '--no-restart'],
      '',
    );
    const chaos = () => childrenOf(npm.pid!)[0] ?? -1;
    const server = () => childrenOf(chaos(), 'redis-server')[0];
    // Workers start once Redis answers: kill it then, not while it starts.
    expect(await until(() => childrenOf(chaos(), 'node').length > 0, 20_000)).toBe(true);

    process.kill(server(), 'SIGKILL');

    const [code] = (await once(npm, 'exit')) as [number];
    expect(code).toBe(1);
    expect(output()).toMatch(/chaos: redis-server on port \d+ exited \(SIGKILL\)/);
  }, 30_000);

  it('chaos killed by SIGKILL leaves no Redis, worker or data directory behind', async () => {
    const chaos = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/chaos/chaos.ts', '--jobs', '200000'],
      {
        stdio: 'ignore',
      },
    );
    const server = () => childrenOf(chaos.pid!, 'redis-server')[0];
    expect(await until(() => server() !== undefined, 20_000)).toBe(true);
    const redis = server();
    // Redis runs in its --dir (its process title no longer shows the argument).
    const dir = readlinkSync(`/proc/${redis}/cwd`);
    expect(dir).toMatch(/remq-chaos-/);
    expect(existsSync(dir)).toBe(true);
    // Some workers up, and one perhaps still loading.
    expect(await until(() => childrenOf(chaos.pid!, 'node').length >= 2, 20_000)).toBe(
      true,
    );
    const workers = childrenOf(chaos.pid!, 'node');

    chaos.kill('SIGKILL');

    expect(await until(() => !alive(redis))).toBe(true);
    expect(await until(() => workers.every((pid) => !alive(pid)))).toBe(true);
    expect(await until(() => !existsSync(dir))).toBe(true);
  }, 40_000);

  it('npm run passes a SIGTERM on to the tool, which stops its Redis', async () => {
    const npm = spawn(
      'npm',
      ['run', '-s', 'bench', '--', '--rounds', '1', '--jobs', '500000'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    // The table's header is printed once the bench's Redis is up.
    await new Promise<void>((resolve) =>
      npm.stdout.on(
        'data',
        (chunk: Buffer) => chunk.toString().includes('| scenario') && resolve(),
      ),
    );
    const [bench] = childrenOf(npm.pid!);
    const [redis] = childrenOf(bench, 'redis-server');
    expect(alive(redis)).toBe(true);

    npm.kill('SIGTERM');

    expect(await until(() => !alive(bench))).toBe(true);
    expect(await until(() => !alive(redis))).toBe(true);
  }, 30_000);
});
