// Mounts a private daemon left under its work directory (container rootfs, netns files), deepest first.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Lazily unmounts every mount point below `dir`, children before their parents. */
export function unmountUnder(dir) {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && m.startsWith(dir + '/'))
    .sort()
    .reverse();
  for (const m of mounts) spawnSync('umount', ['-l', m]);
}
