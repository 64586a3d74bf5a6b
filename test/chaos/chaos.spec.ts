import { describe, expect, it } from '@jest/globals';

import { runChaos } from './harness.js';

describe('chaos', () => {
  it('loses no job while workers are killed and Redis restarts', async () => {
    const report = await runChaos({
      jobs: 400,
      workers: 3,
      kills: 3,
      restartRedis: true,
      timeoutMs: 60_000,
    });

    expect(report.timedOut).toBe(false);
    expect(report.lost).toBe(0);
    expect(report.deadLettered).toBe(0);
    expect(report.runs).toBeGreaterThanOrEqual(report.jobs);
  }, 90_000);
});
