// For the command-line tools (bench, chaos, soak): option parsing, where a
// mistake gets one line naming it and exit code 2, not a stack trace; and
// the tool's own Redis.
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { ThrowawayRedis } from './redis-server.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>
>['values'];

function usageError(tool: string, message: string): never {
  console.error(`${tool}: ${message}`);
  process.exit(2);
}

/** The tool's `--name value` options; anything else is an error. `--help` lists them. */
export function parseOptions<O extends Options>(tool: string, options: O): Values<O> {
  const known = Object.entries(options)
    .map(([name, { type, default: value }]) =>
      type === 'boolean' ? `--${name}` : `--${name} ${String(value ?? '')}`,
    )
    .join(' ');
  if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
    console.log(`npm run ${tool} [-- ${known}]  (defaults shown)`);
    process.exit(0);
  }
  try {
    return parseArgs({ options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return usageError(
      tool,
      `${message.split('\n')[0]} (usage: npm run ${tool} -- ${known})`,
    );
  }
}

/** A whole number of at least `min` and at most `max`, from option `name`. */
export function wholeNumber(
  tool: string,
  name: string,
  text: string,
  { min = 1, max = 10_000_000 }: { min?: number; max?: number } = {},
): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    usageError(
      tool,
      `--${name} must be a whole number from ${min} to ${max}, got '${text}'`,
    );
  }
  return value;
}

/**
 * A throwaway Redis for the tool. When it cannot start, or dies before the
 * tool is done (the tool would wait for replies forever), the tool says so
 * and exits 1.
 */
export async function toolRedis(tool: string): Promise<ThrowawayRedis> {
  const server = await ThrowawayRedis.start().catch((error: Error) => {
    console.error(`${tool}: ${error.message}`);
    return process.exit(1);
  });
  server.onUnexpectedExit = (why) => {
    console.error(`${tool}: ${why} before the ${tool} ended`);
    process.exit(1);
  };
  return server;
}
