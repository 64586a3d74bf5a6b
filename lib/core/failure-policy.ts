import { UnrecoverableError } from './errors.js';
import type { Backoff, HandlerOptions } from './types.js';

/** A failed attempt's message and stack, whatever was thrown. */
export function describeError(error: unknown): { message: string; stack: string } {
  if (error instanceof Error) return { message: error.message, stack: error.stack ?? '' };
  let message: string;
  try {
    message =
      typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    // A cycle or a BigInt: name what it is rather than '[object Object]'.
    const kind = (error as object)?.constructor?.name ?? typeof error;
    const keys = error && typeof error === 'object' ? Object.keys(error).join(', ') : '';
    message = keys ? `${kind} with keys ${keys}` : String(error);
  }
  return { message: `non-Error thrown: ${message}`, stack: '' };
}

/** What becomes of a failed attempt. */
export type FailureDecision = { retry: false } | { retry: true; delayMs: number };

/**
 * Decides on a failed attempt: retry while the job has retries left
 * (`retryCount` counts retries after the first run) unless the error is an
 * `UnrecoverableError`, waiting `backoff` or `retryDelayMs` in between.
 */
export function decideOnFailure(
  policy: HandlerOptions,
  attempt: number,
  error: unknown,
): FailureDecision {
  if (error instanceof UnrecoverableError) return { retry: false };
  if (attempt > (policy.retryCount ?? 0)) return { retry: false };
  return {
    retry: true,
    delayMs: retryDelayMs(policy.backoff, policy.retryDelayMs, attempt, error),
  };
}

/** Milliseconds to wait after failed attempt number `attempt` (1-based). */
export function retryDelayMs(
  backoff: Backoff | undefined,
  fixedMs: number | undefined,
  attempt: number,
  error: unknown,
): number {
  if (backoff === undefined) return fixedMs ?? 0;
  if (typeof backoff === 'function') {
    const ms = backoff(attempt, error);
    return Number.isFinite(ms) && ms > 0 ? ms : 0;
  }
  if (backoff.type === 'fixed') return backoff.delayMs;

  let ms = backoff.delayMs * 2 ** (attempt - 1);
  if (backoff.maxDelayMs !== undefined) ms = Math.min(ms, backoff.maxDelayMs);
  if (backoff.jitter) ms -= ms * backoff.jitter * Math.random();
  return Math.round(ms);
}

/** An attempt ran past its handler's `timeoutMs`. */
export class JobTimeoutError extends Error {
  override name = 'JobTimeoutError';
}

/** Runs `work`, failing with a JobTimeoutError if it takes over `timeoutMs`. */
export function withTimeout<T>(
  work: () => T | Promise<T>,
  timeoutMs: number | undefined,
) {
  if (!timeoutMs) return work();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new JobTimeoutError(`attempt timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([Promise.resolve().then(work), timeout]).finally(() =>
    clearTimeout(timer),
  );
}
