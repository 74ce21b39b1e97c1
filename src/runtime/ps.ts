/** ps: the container's processes; JSON is the list of host pids (containerd parses it), table is ps(1)'s. */
import { writeSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { childProcessModule } from '../util/builtins.js';
import { containerPids } from './kill.js';
import { StateDir, statusOf } from './state.js';

export function psContainer(root: string, id: string, format: 'table' | 'json', psArgs: string[]): number {
  const dir = new StateDir(root, id);
  const st = dir.load();
  const pids = statusOf(dir, st) === 'stopped' && !st.config.cgroup ? [] : containerPids(st);
  if (format === 'json') {
    writeSync(1, JSON.stringify(pids) + '\n');
    return 0;
  }
  const r = childProcessModule().spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new TsrunError(`ps: ${r.error?.message ?? r.stderr.trim()}`);
  const lines = r.stdout.split('\n');
  const header = lines[0] ?? '';
  const col = header.trim().split(/\s+/).indexOf('PID');
  if (col < 0) throw new TsrunError(`couldn't find PID field in ps output`);
  const want = new Set(pids);
  const out = [header, ...lines.slice(1).filter((l) => l.trim() && want.has(Number(l.trim().split(/\s+/)[col])))];
  writeSync(1, out.join('\n') + '\n');
  return 0;
}
