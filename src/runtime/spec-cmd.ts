/** spec: write a default config.json into the bundle, refusing to overwrite one. */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TsrunError } from '../errors.js';
import { defaultSpec } from '../spec/default-spec.js';

export function writeDefaultSpec(bundle: string, rootless: boolean): void {
  const file = join(resolve(bundle), 'config.json');
  if (existsSync(file)) throw new TsrunError('File config.json exists. Remove it first.');
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  writeFileSync(file, JSON.stringify(defaultSpec({ rootless, uid, gid }), null, '\t'), { mode: 0o666 });
}
