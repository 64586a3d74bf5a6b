import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { RedisClient } from '../types.js';

type Arg = string | number;

/**
 * A Lua script run by EVALSHA, falling back to EVAL once when the server
 * does not know it yet (first use, restart, failover).
 */
export class Script {
  private readonly sha: string;

  constructor(
    readonly name: string,
    private readonly lua: string,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run<T>(db: RedisClient, keys: string[], args: Arg[]): Promise<T> {
    try {
      return (await db.evalsha(this.sha, keys.length, ...keys, ...args)) as T;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await db.eval(this.lua, keys.length, ...keys, ...args)) as T;
    }
  }
}

function read(name: string): string {
  return readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8');
}

/** A script's text, each `--@include name` line replaced by `name.lua`'s, once. */
function expand(name: string, included: Set<string>): string {
  return read(name).replace(/^--@include ([\w-]+)$/gm, (_, part: string) => {
    if (included.has(part)) return '';
    included.add(part);
    return expand(part, included);
  });
}

function load(name: string): Script {
  return new Script(name, expand(name, new Set()));
}

export const scripts = {
  addJobs: load('add-jobs'),
  fetchJobs: load('fetch-jobs'),
  promoteDelayed: load('promote-delayed'),
  requeueJob: load('requeue-job'),
  cancelJob: load('cancel-job'),
  resumeQueue: load('resume-queue'),
  scheduleNext: load('schedule-next'),
  removeSchedule: load('remove-schedule'),
  moveToProcessing: load('move-to-processing'),
  moveToFinished: load('move-to-finished'),
  trimFinished: load('trim-finished'),
};
