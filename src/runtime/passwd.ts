/** HOME of a uid from the container's /etc/passwd, read without following links out of the rootfs. */
import { closeSync, readFileSync } from 'node:fs';
import { native } from '../native/addon.js';

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
    fd = native().openInRoot(rootfs, '/etc/passwd', 0 /* O_RDONLY */);
  } catch {
    return undefined;
  }
  try {
    return parsePasswdHome(readFileSync(fd, 'utf8'), uid);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
