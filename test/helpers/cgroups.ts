import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Directories of any cgroup hierarchy, `depth` levels below /sys/fs/cgroup's children, whose name contains `needle`. */
export function cgroupsNamed(needle: string, depth: number): string[] {
  const out: string[] = [];
  const walk = (dir: string, left: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      let isDir = false;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        continue;
      }
      if (!isDir) continue;
      if (e.includes(needle)) out.push(p);
      if (left > 0) walk(p, left - 1);
    }
  };
  walk('/sys/fs/cgroup', depth);
  return out;
}
