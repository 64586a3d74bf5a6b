/**
 * Background work under way (promises nobody awaits), so that a `stop` can
 * wait for it.
 */
export class InFlight {
  private readonly works = new Set<Promise<unknown>>();

  get size(): number {
    return this.works.size;
  }

  /** Keeps `work` in view until it settles; returns it. */
  track<T>(work: Promise<T>): Promise<T> {
    this.works.add(work);
    void work.then(
      () => this.works.delete(work),
      () => this.works.delete(work),
    );
    return work;
  }

  /** Resolves once nothing is under way, including work tracked meanwhile. */
  async settled(): Promise<void> {
    while (this.works.size > 0) await Promise.allSettled([...this.works]);
  }
}

/**
 * Waits for `work` to settle, or `ms` at most; resolves with whether it
 * settled in time. The timer does not keep the process alive.
 */
export async function settlesWithin(
  work: Promise<unknown>,
  ms: number,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
