/** spec: write a default config.json into the bundle, refusing to overwrite one. */
import { closeSync, openSync, writeSync, constants as fsc } from 'node:fs';
import { join, resolve } from 'node:path';
import { TsrunError } from '../errors.js';
import { defaultSpec } from '../spec/default-spec.js';
import { O_CLOEXEC } from '../util/fs.js';

export function writeDefaultSpec(bundle: string, rootless: boolean): void {
  const file = join(resolve(bundle), 'config.json');
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  // O_EXCL: an existing config.json, or a symlink planted in its place, is never written through.
  let fd: number;
  try {
    fd = openSync(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW | O_CLOEXEC, 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TsrunError('File config.json exists. Remove it first.');
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(defaultSpec({ rootless, uid, gid }), null, '\t'));
  } finally {
    closeSync(fd);
  }
}
