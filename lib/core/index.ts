export { RemqAdmin, type DeadLetterEntry, type Page, type QueueStats } from './admin.js';
export {
  Consumer,
  type ConsumerOptions,
  type ConsumerSettings,
  type StreamEntry,
} from './consumer.js';
export { RemqError, UnrecoverableError, ValidationError } from './errors.js';
export { Job, type JobRecord } from './job.js';
export { Processor, type DeadLetter, type ProcessorOptions } from './processor.js';
export type { KeepPolicy, RetentionOptions } from './retention.js';
export type { Schedule } from './scheduler.js';
export { JobTimeoutError } from './failure-policy.js';
export {
  NoHandlerError,
  TaskManager,
  type EmitInput,
  type Handler,
  type HandlerContext,
  type RegisterInput,
  type TaskManagerEvents,
  type TaskManagerOptions,
} from './task-manager.js';
export type {
  Backoff,
  DebounceOptions,
  HandlerOptions,
  JobOptions,
  JobState,
  Json,
  RedisClient,
  RepeatOptions,
} from './types.js';
