// Copies the Lua scripts next to the compiled module that loads them.
import { cpSync, readdirSync } from 'node:fs';

const from = 'lib/core/scripts';
const to = 'dist/lib/core/scripts';
for (const name of readdirSync(from).filter((file) => file.endsWith('.lua'))) {
  cpSync(`${from}/${name}`, `${to}/${name}`);
}
