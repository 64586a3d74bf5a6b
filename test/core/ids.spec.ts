import { describe, expect, it } from '@jest/globals';

import { newJobId } from '../../lib/core/ids.js';

describe('job ids', () => {
  it('are unique, short, and in creation order within a process', () => {
    const ids = Array.from({ length: 50_000 }, () => newJobId());
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids.map((id) => id.length))).toBeLessThanOrEqual(18);
    const time = (id: string) => parseInt(id.slice(0, 8), 36);
    const sequence = (id: string) => parseInt(id.slice(14), 36);
    const outOfOrder = ids.slice(1).filter((b, i) => {
      const a = ids[i];
      return time(a) > time(b) || (time(a) === time(b) && sequence(a) >= sequence(b));
    });
    expect(outOfOrder).toEqual([]);
  });
});
