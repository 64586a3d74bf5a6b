/**
 * For the command-line tools (bench, chaos, soak): Ctrl-C or a kill ends the
 * process through its 'exit' handlers, which stop the servers and workers it
 * started, instead of leaving them running. So does the end of the process
 * that started it (npm killed by SIGKILL, which it cannot pass on).
 */
export function exitOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => process.exit(130));
  }
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(130);
  }, 500).unref();
}
