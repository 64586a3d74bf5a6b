/**
 * Gathers calls into one flush, so N jobs settling together cost one round
 * trip to Redis, not N. `when` is how long to gather: 'turn', the rest of this
 * turn of the event loop; 'tick', only what is already queued to run now
 * (calls made by one burst of promise callbacks), which costs no wait.
 */
export class Batcher<T, R> {
  private items: T[] = [];
  private waiters: { resolve: (value: R) => void; reject: (error: unknown) => void }[] =
    [];
  private scheduled = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly when: 'turn' | 'tick' = 'turn',
    private readonly maxItems = 1000,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.items.push(item);
      this.waiters.push({ resolve, reject });
      if (this.items.length >= this.maxItems) this.run();
      else if (!this.scheduled) {
        this.scheduled = true;
        if (this.when === 'tick') queueMicrotask(() => this.run());
        else setImmediate(() => this.run());
      }
    });
  }

  /** Sends what has gathered now, without waiting for the turn to end. */
  sendNow(): void {
    this.run();
  }

  private run(): void {
    this.scheduled = false;
    if (this.items.length === 0) return;

    const items = this.items;
    const waiters = this.waiters;
    this.items = [];
    this.waiters = [];

    this.flush(items).then(
      (results) => waiters.forEach((waiter, i) => waiter.resolve(results[i])),
      (error: unknown) => waiters.forEach((waiter) => waiter.reject(error)),
    );
  }
}
