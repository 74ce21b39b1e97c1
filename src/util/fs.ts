import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, constants as fsc } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file so that readers see either the old or the new content: a temporary file beside it, then
 * rename(2). `hidden` names the temporary `.<name>` (runc's pid file convention); otherwise `<name>.tmp<pid>`.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644, hidden = false): void {
  const tmp = hidden ? join(dirname(path), `.${basename(path)}`) : `${path}.tmp${process.pid}`;
  const fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
