/**
 * HOME of a uid from the container's /etc/passwd. The file belongs to the container (it may change it while
 * exec runs): it is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT: a symlink to /host/etc/shadow or
 * ../../.. stays in the rootfs), opened without waiting on a FIFO, and read only if it is a regular file of
 * bounded size. Anything else means no HOME from passwd, as a missing file does.
 */
import { closeSync, constants as fsc } from 'node:fs';
import { log } from '../log.js';
import { native } from '../native/addon.js';
import { readFdBounded } from '../util/fs.js';

/** Far more than any real passwd file (a line is ~60 bytes). */
export const PASSWD_LIMIT = 4 * 1024 * 1024;

export function parsePasswdHome(text: string, uid: number): string | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 6 && Number(f[2]) === uid && f[2] !== '') return f[5] || undefined;
  }
  return undefined;
}

export function passwdHome(rootfs: string, uid: number): string | undefined {
  let fd: number;
  try {
    fd = native().openInRoot(rootfs, '/etc/passwd', fsc.O_RDONLY | fsc.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    return parsePasswdHome(readFdBounded(fd, `${rootfs}/etc/passwd`, PASSWD_LIMIT).toString('utf8'), uid);
  } catch (err) {
    log.debug(`HOME not taken from /etc/passwd: ${(err as Error).message}`);
    return undefined;
  } finally {
    closeSync(fd);
  }
}
