import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ThrowawayRedis } from './redis-server.js';

/** A throwaway three-master Redis Cluster on loopback ports, for cluster tests. */
export class ThrowawayCluster {
  private constructor(
    readonly nodes: ThrowawayRedis[],
    private readonly dir: string,
  ) {}

  static async start(): Promise<ThrowawayCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'remq-cluster-'));
    const nodes = await Promise.all(
      [0, 1, 2].map((i) =>
        ThrowawayRedis.start([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${i}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--dir',
          dir,
        ]),
      ),
    );
    execFileSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-yes',
      ],
      { stdio: 'ignore' },
    );
    const cluster = new ThrowawayCluster(nodes, dir);
    await cluster.waitUntilReady();
    return cluster;
  }

  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  private async waitUntilReady(): Promise<void> {
    for (let i = 0; i < 100; i += 1) {
      const info = execFileSync('redis-cli', [
        '-p',
        String(this.nodes[0].port),
        'cluster',
        'info',
      ]);
      if (info.toString().includes('cluster_state:ok')) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the throwaway cluster did not become ready');
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
