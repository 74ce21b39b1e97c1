/**
 * events: the container's resource usage as runc prints it, {"type":"stats","id":…,"data":{…}} per line, once
 * (--stats) or every --interval until the container stops, plus {"type":"oom","id":…} when the OOM killer acts.
 */
import { writeSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { parseDuration } from '../util/units.js';
import { managerOf } from './cgroup.js';
import { StateDir, statusOf } from './state.js';

function emit(event: Record<string, unknown>): void {
  writeSync(1, JSON.stringify(event) + '\n');
}

export async function eventsContainer(root: string, id: string, once: boolean, interval: string): Promise<number> {
  const dir = new StateDir(root, id);
  const st = dir.load();
  if (statusOf(dir, st) === 'stopped') throw new TsrunError(`container with id ${id} is not running`);
  if (!st.cgroup) throw new TsrunError('container has no cgroup');
  const m = managerOf(st.cgroup);
  if (once) {
    emit({ type: 'stats', id, data: m.stats() });
    return 0;
  }
  const ms = parseDuration(interval);
  if (ms <= 0) throw new TsrunError(`duration interval must be greater than 0`);
  let ooms = m.oomKills();
  // One tick per interval: stats, any new OOM kill, and the end once the container has stopped.
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (statusOf(dir, st) === 'stopped') {
        clearInterval(timer);
        resolve();
        return;
      }
      const now = m.oomKills();
      for (; ooms < now; ooms++) emit({ type: 'oom', id });
      emit({ type: 'stats', id, data: m.stats() });
    };
    const timer = setInterval(tick, ms);
    tick();
  });
  return 0;
}
