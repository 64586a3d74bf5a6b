import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Kills `pid` when this process dies, however it dies (SIGKILL included,
 * where no 'exit' handler runs): a shell reads a pipe only this process
 * holds open, and kills unless it reads `stop` first. Returns what stops it.
 */
function killWithUs(pid: number, removeDir?: string): () => void {
  if (removeDir?.includes("'")) throw new Error(`unexpected quote in ${removeDir}`);
  const remove = removeDir ? `; rm -rf -- '${removeDir}'` : '';
  const script = `IFS= read -r word; [ "$word" = stop ] || { kill -9 ${pid} 2>/dev/null${remove}; }`;
  const watchdog = spawn('sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  watchdog.unref();
  return () => watchdog.stdin?.end('stop\n');
}

/**
 * A throwaway redis-server on its own port, for tests that restart it or
 * configure it (passwords, ACLs), and for the bench, chaos and soak tools.
 * Keeps nothing on disk, and does not outlive the process that started it.
 */
export class ThrowawayRedis {
  private child?: ChildProcess;
  private stopping = false;
  /** Called when the server exits without `kill` asking it to. */
  onUnexpectedExit?: (why: string) => void;

  private constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly removeOnDeath?: string,
  ) {}

  /**
   * `removeOnDeath`: a directory (the server's data, say) to delete too if
   * this process dies without stopping the server.
   */
  static async start(
    args: string[] = [],
    { removeOnDeath }: { removeOnDeath?: string } = {},
  ): Promise<ThrowawayRedis> {
    const server = new ThrowawayRedis(await freePort(), args, removeOnDeath);
    await server.up();
    return server;
  }

  /** The server's process id, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.stopping = false;
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        ...this.args,
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    if (spawned) {
      const missing = (spawned as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(
        missing
          ? 'redis-server is not on the PATH: install it (apt-get install -y redis-server, or brew install redis)'
          : `redis-server could not be started: ${spawned.message}`,
      );
    }
    const cancelWatchdog = killWithUs(child.pid!, this.removeOnDeath);
    child.once('exit', (code, signal) => {
      cancelWatchdog();
      if (!this.stopping) {
        this.onUnexpectedExit?.(
          `redis-server on port ${this.port} exited (${signal ?? `code ${code}`})`,
        );
      }
    });
    for (let i = 0; i < 100; i += 1) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await answers(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }

  /** Kills the server at once (no persistence: everything is lost). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.stopping = true;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

/** Whether a Redis answers PING on the port (an error reply such as NOAUTH counts). */
export function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.once('data', (reply) => done(/^[+-]/.test(reply.toString())));
  });
}
