export { JobExplorer } from './job-explorer.js';
export { OnJob, type OnJobMetadata } from './on-job.decorator.js';
export { RemqConnection } from './remq-connection.js';
export {
  ON_JOB_METADATA,
  REMQ_CONNECTION,
  REMQ_CONTEXT_TYPE,
  REMQ_OPTIONS,
} from './remq.constants.js';
export { RemqModule } from './remq.module.js';
export type {
  RemqModuleAsyncOptions,
  RemqModuleOptions,
  RemqOptionsFactory,
} from './remq-options.interface.js';
