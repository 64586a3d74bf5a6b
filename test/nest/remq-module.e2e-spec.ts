import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Catch,
  type ExceptionFilter,
  Injectable,
  type INestApplication,
  UseFilters,
  type OnModuleDestroy,
  Module,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { tap, type Observable } from 'rxjs';

import { OnJob, RemqAdmin, RemqModule, TaskManager, type Job } from '../../lib/index.js';
import { eventually, freshPrefix, keysOf, REDIS_URL, redisAddress } from '../helpers.js';
import { freePort } from '../redis-server.js';

/** Collects what handlers saw, so tests can await a given number of calls. */
@Injectable()
class Inbox {
  readonly seen: string[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  push(entry: string): void {
    this.seen.push(entry);
    this.waiters = this.waiters.filter((w) =>
      this.seen.length >= w.count ? w.resolve() : true,
    );
  }

  until(count: number): Promise<void> {
    if (this.seen.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}

@Injectable()
class Mailer {
  send(to: string): string {
    return `sent to ${to}`;
  }
}

@Injectable()
class EmailJobs {
  constructor(
    private readonly mailer: Mailer,
    private readonly inbox: Inbox,
  ) {}

  @OnJob('send-email', 'emails')
  async send(job: Job<{ to: string }>) {
    const line = this.mailer.send(job.data.to);
    this.inbox.push(line);
    return line;
  }

  @OnJob('send-digest', 'emails')
  async digest(job: Job<{ to: string }>) {
    this.inbox.push(`digest for ${job.data.to}`);
  }
}

@Controller()
class SignupController {
  constructor(readonly tasks: TaskManager) {}

  signup(to: string) {
    return this.tasks.emit({ event: 'send-email', queue: 'emails', data: { to } });
  }
}

class TagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const [job] = context.getArgs<[Job]>();
    return next.handle().pipe(tap(() => tags.push(`${context.getType()}:${job.event}`)));
  }
}
const tags: string[] = [];

@Injectable()
class AuditJobs {
  @UseInterceptors(TagInterceptor)
  @OnJob('audit', 'audit')
  async audit() {
    return 'ok';
  }
}

@Catch()
class RecoverFilter implements ExceptionFilter {
  catch(error: Error) {
    return `recovered from ${error.message}`;
  }
}

@Injectable()
class FilteredJobs {
  @UseFilters(RecoverFilter)
  @OnJob('filtered', 'filtered')
  async run() {
    throw new Error('boom');
  }
}

@Injectable()
class PolicyJobs {
  readonly attempts: number[] = [];
  readonly order: string[] = [];

  @OnJob('flaky', 'policies', { retryCount: 2, retryDelayMs: 20 })
  async flaky(job: Job) {
    this.attempts.push(job.attempt);
    throw new Error(`attempt ${job.attempt} failed`);
  }

  @OnJob('normal', 'ordered')
  @OnJob('urgent', 'ordered', { priority: 9 })
  async ordered(job: Job) {
    this.order.push(job.event);
  }
}

@Module({
  providers: [Mailer, Inbox, EmailJobs, AuditJobs, PolicyJobs, FilteredJobs],
  controllers: [SignupController],
})
class FeatureModule {}

describe('RemqModule', () => {
  let prefix: string;
  let db: Redis;
  let apps: INestApplication[];

  beforeEach(() => {
    prefix = freshPrefix();
    db = new Redis(REDIS_URL);
    apps = [];
  });

  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    const keys = await keysOf(db, prefix);
    if (keys.length > 0) await db.del(...keys);
    db.disconnect();
  });

  /** Starts an app from a compiled module; afterEach closes it if the test did not. */
  async function start(moduleRef: TestingModule): Promise<INestApplication> {
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const close = app.close.bind(app);
    let closed = false;
    app.close = async () => {
      if (closed) return;
      closed = true;
      await close();
    };
    apps.push(app);
    return app;
  }

  async function boot(override?: (mailer: Mailer) => Mailer) {
    let builder = Test.createTestingModule({
      imports: [RemqModule.forRoot({ connection: REDIS_URL, prefix }), FeatureModule],
    });
    if (override)
      builder = builder.overrideProvider(Mailer).useValue(override(new Mailer()));
    const moduleRef = await builder.compile();
    return start(moduleRef);
  }

  it('wires two @OnJob methods of one provider', async () => {
    const app = await boot();
    const tasks = app.get(TaskManager);
    await tasks.emit({ event: 'send-email', queue: 'emails', data: { to: 'a@x.io' } });
    await tasks.emit({ event: 'send-digest', queue: 'emails', data: { to: 'b@x.io' } });

    const inbox = app.get(Inbox);
    await inbox.until(2);
    expect(inbox.seen.sort()).toEqual(['digest for b@x.io', 'sent to a@x.io']);
    await app.close();
  });

  it('injects TaskManager into a controller, whose emit reaches the handler', async () => {
    const app = await boot();
    const id = await app.get(SignupController).signup('c@x.io');

    await app.get(Inbox).until(1);
    await app.get(TaskManager).waitUntilIdle('emails');
    const job = await app.get(RemqAdmin).getJob('emails', id);
    expect(job).toMatchObject({ state: 'completed', result: 'sent to c@x.io' });
    await app.close();
  });

  it('lets overrideProvider replace a handler dependency', async () => {
    const app = await boot(() => ({ send: (to: string) => `fake mail to ${to}` }));
    await app
      .get(TaskManager)
      .emit({ event: 'send-email', queue: 'emails', data: { to: 'd@x.io' } });

    const inbox = app.get(Inbox);
    await inbox.until(1);
    expect(inbox.seen).toEqual(['fake mail to d@x.io']);
    await app.close();
  });

  it('runs handlers through interceptors with context type remq', async () => {
    const app = await boot();
    await app.get(TaskManager).emit({ event: 'audit', queue: 'audit' });
    await app.get(TaskManager).waitUntilIdle('audit');

    expect(tags).toContain('remq:audit');
    await app.close();
  });

  it('applies @OnJob retry options: retryCount 2 gives three attempts', async () => {
    const app = await boot();
    const tasks = app.get(TaskManager);
    const failed = new Promise((resolve) => tasks.once('failed', resolve));
    const id = await tasks.emit({ event: 'flaky', queue: 'policies' });
    await failed;

    expect(app.get(PolicyJobs).attempts).toEqual([1, 2, 3]);
    expect(await app.get(RemqAdmin).getJob('policies', id)).toMatchObject({
      state: 'failed',
      error: 'attempt 3 failed',
    });
  });

  it('applies @OnJob priority at emit, and wires one method under two events', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RemqModule.forRoot({ connection: REDIS_URL, prefix, autoStart: false }),
        FeatureModule,
      ],
    }).compile();
    const app = await start(moduleRef);
    const tasks = app.get(TaskManager);
    await tasks.emit({ event: 'normal', queue: 'ordered' });
    await tasks.emit({ event: 'urgent', queue: 'ordered' });

    await tasks.start();
    await tasks.waitUntilIdle('ordered');
    expect(app.get(PolicyJobs).order).toEqual(['urgent', 'normal']);
  });

  it("applies a handler's own exception filter to its jobs", async () => {
    const app = await boot();
    const tasks = app.get(TaskManager);
    const id = await tasks.emit({ event: 'filtered', queue: 'filtered' });
    await tasks.waitUntilIdle('filtered');

    expect(await app.get(RemqAdmin).getJob('filtered', id)).toMatchObject({
      state: 'completed',
      result: 'recovered from boom',
    });
  });

  it('fails fast, with a clear message, when Redis cannot be reached', async () => {
    const port = await freePort();
    const started = Date.now();

    await expect(
      Test.createTestingModule({
        imports: [
          RemqModule.forRoot({ connection: `redis://127.0.0.1:${port}`, prefix }),
        ],
      }).compile(),
    ).rejects.toThrow(
      `RemqModule could not connect to Redis at redis://127.0.0.1:${port}`,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('configures through forRootAsync with useFactory and inject', async () => {
    const CONFIG = 'CONFIG';
    @Module({
      providers: [{ provide: CONFIG, useValue: { url: REDIS_URL, prefix } }],
      exports: [CONFIG],
    })
    class ConfigModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        RemqModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { url: string; prefix: string }) => ({
            connection: config.url,
            prefix: config.prefix,
          }),
        }),
        FeatureModule,
      ],
    }).compile();
    const app = await start(moduleRef);

    const tasks = app.get(TaskManager);
    expect(tasks.prefix).toBe(prefix);
    await tasks.emit({ event: 'send-email', queue: 'emails', data: { to: 'e@x.io' } });
    await app.get(Inbox).until(1);
    await app.close();
  });

  it('on close, lets running jobs finish before other modules tear down', async () => {
    const events: string[] = [];

    @Injectable()
    class Database implements OnModuleDestroy {
      open = true;
      onModuleDestroy() {
        events.push('database closed');
        this.open = false;
      }
    }

    @Injectable()
    class SlowJobs {
      constructor(private readonly database: Database) {}

      @OnJob('slow', 'shutdown')
      async run() {
        events.push('job started');
        await new Promise((resolve) => setTimeout(resolve, 300));
        events.push(
          this.database.open ? 'job saw the database open' : 'job saw it closed',
        );
      }
    }

    const moduleRef = await Test.createTestingModule({
      imports: [RemqModule.forRoot({ connection: REDIS_URL, prefix })],
      providers: [Database, SlowJobs],
    }).compile();
    const app = await start(moduleRef);
    await app.get(TaskManager).emit({ event: 'slow', queue: 'shutdown' });
    await eventually(async () => expect(events).toContain('job started'));

    await app.close();

    expect(events).toEqual([
      'job started',
      'job saw the database open',
      'database closed',
    ]);
  });

  it('closes every Redis connection it opened on close()', async () => {
    const name = `remq-close-${prefix}`;
    const app = await (async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          RemqModule.forRoot({
            connection: { ...redisAddress(), connectionName: name },
            prefix,
          }),
          FeatureModule,
        ],
      }).compile();
      return start(moduleRef);
    })();
    const named = async () =>
      String(await db.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(`name=${name}`)).length;

    expect(await named()).toBeGreaterThanOrEqual(2);
    await app.close();
    await eventually(async () => expect(await named()).toBe(0));
  });
});
