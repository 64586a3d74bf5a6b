import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';

import { RemqModule, TaskManager } from '../../lib/index.js';
import { eventually } from '../helpers.js';
import { freePort, ThrowawayRedis } from '../redis-server.js';

describe('TLS', () => {
  let dir: string;
  let server: ThrowawayRedis;
  let tlsPort: number;
  let ca: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'remq-tls-'));
    const run = (...args: string[]) =>
      execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    run(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=remq-test-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    );
    run(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    run(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-copy_extensions',
      'copy',
      '-out',
      'server.crt',
    );
    ca = readFileSync(join(dir, 'ca.crt'));
    tlsPort = await freePort();
    server = await ThrowawayRedis.start([
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      join(dir, 'server.crt'),
      '--tls-key-file',
      join(dir, 'server.key'),
      '--tls-ca-cert-file',
      join(dir, 'ca.crt'),
      '--tls-auth-clients',
      'no',
    ]);
  });

  afterAll(async () => {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs jobs over a TLS connection', async () => {
    const db = new Redis({ host: '127.0.0.1', port: tlsPort, tls: { ca } });
    const tasks = TaskManager.init({ db });
    const ran: unknown[] = [];
    await tasks.registerHandler({
      event: 'e',
      handler: (job) => void ran.push(job.data),
    });
    await tasks.start();
    try {
      await tasks.emit({ event: 'e', data: 'over tls' });
      await eventually(async () => expect(ran).toEqual(['over tls']));
    } finally {
      await tasks.stop({ timeoutMs: 500 });
      db.disconnect();
    }
  });

  it('passes TLS connection options from RemqModule.forRoot to ioredis', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RemqModule.forRoot({
          connection: { host: '127.0.0.1', port: tlsPort, tls: { ca } },
          prefix: 'nest-tls',
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const id = await app.get(TaskManager).emit({ event: 'e', queue: 'tls' });
      expect((await app.get(TaskManager).admin.getJob('tls', id))?.state).toBe('waiting');
    } finally {
      await app.close();
    }
  });
});
