/** User-facing texts of the Nest module. */
export const messages = {
  noUseOption: 'RemqModule.forRootAsync needs one of useFactory, useClass or useExisting',
  noConnection:
    'RemqModule options need a connection: a Redis URL, ioredis options or an ioredis client',
  unreachable: (target: string, error: unknown) =>
    `RemqModule could not connect to Redis at ${target}: ${
      error instanceof Error ? error.message : String(error)
    }`,
  requestScoped: (className: string, method: string) =>
    `@OnJob on ${className}.${method} is ignored: request-scoped providers cannot handle jobs`,
  registered: (queue: string, event: string, handler: string) =>
    `queue=${queue} event=${event} handled by ${handler}`,
};
