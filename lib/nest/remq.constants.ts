/** Injection token of the module's options. */
export const REMQ_OPTIONS = Symbol('REMQ_OPTIONS');

/** Injection token of the ioredis client the module uses. */
export const REMQ_CONNECTION = Symbol('REMQ_CONNECTION');

/** Metadata key `@OnJob` stores its registrations under. */
export const ON_JOB_METADATA = 'remq:on-job';

/** `ExecutionContext.getType()` inside a job handler. */
export const REMQ_CONTEXT_TYPE = 'remq';
