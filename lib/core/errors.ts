/** Base class of every error REMQ throws on purpose. */
export class RemqError extends Error {
  override name = 'RemqError';
}

/**
 * Thrown by `emit`, `emitBulk` and `registerHandler` when an argument is
 * invalid. `field` names the offending argument, e.g. `options.retryCount`.
 * Nothing has been written to Redis when it is thrown.
 */
export class ValidationError extends RemqError {
  override name = 'ValidationError';

  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

/**
 * Throw it from a handler to fail the job at once: the remaining retries are
 * skipped.
 */
export class UnrecoverableError extends RemqError {
  override name = 'UnrecoverableError';
}
