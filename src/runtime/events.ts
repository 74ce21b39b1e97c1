/**
 * events: the container's resource usage as runc prints it, {"type":"stats","id":…,"data":{…}} per line, once
 * (--stats) or every --interval until the container stops, plus {"type":"oom","id":…} as soon as the OOM
 * killer acts (v1: an eventfd on memory.oom_control; v2: inotify on memory.events).
 */
import { closeSync, existsSync, openSync, readSync, watch, writeFileSync, writeSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { runcStats } from '../cgroups/runc-stats.js';
import type { CgroupManager, CgroupStats } from '../cgroups/types.js';
import { TsrunError } from '../errors.js';
import { native } from '../native/addon.js';
import { pollFds } from '../native/wait.js';
import { managerOf } from './cgroup.js';
import { StateDir, statusOf } from './state.js';
import { stringifyJson } from '../util/json.js';

const POLLIN = 1;

/** Nothing counted (no cgroup). */
const NO_STATS: CgroupStats = {
  cpu: { usage: { total: 0n, kernel: 0n, user: 0n }, throttling: {} },
  memory: { usage: {} },
  pids: {},
  blkio: {},
};

function emit(event: Record<string, unknown>): void {
  writeSync(1, stringifyJson(event) + '\n');
}

/** `ms`: the interval between stats events, already checked (util/units parseInterval). */
export async function eventsContainer(root: string, id: string, once: boolean, ms: number): Promise<number> {
  const dir = new StateDir(root, id);
  const st = dir.load();
  if (statusOf(dir, st) === 'stopped') throw new TsrunError(`container with id ${id} is not running`);
  // A rootless container without a cgroup of its own has nothing counted: zeros, as runc reports.
  const m = st.config.cgroup ? managerOf(st.config.cgroup) : undefined;
  const stats = () => runcStats(m ? m.stats() : NO_STATS);
  if (once) {
    emit({ type: 'stats', id, data: stats() });
    return 0;
  }

  const addon = native();
  let pidfd: number;
  try {
    pidfd = addon.pidfdOpen(st.pid);
  } catch {
    return 0; // exited meanwhile
  }
  // The pid may have been reused between load and pidfd_open: check again through the pidfd's process.
  if (statusOf(dir, st) === 'stopped') {
    closeSync(pidfd);
    return 0;
  }

  const oom = m ? new OomWatch(m, () => emit({ type: 'oom', id })) : undefined;
  const timer = setInterval(() => {
    oom?.check();
    emit({ type: 'stats', id, data: stats() });
  }, ms); // like runc, the first stats come after one interval
  try {
    // One wait at a time (no thread held, see native/wait.ts): the init's pidfd, plus the v1 OOM eventfd.
    for (;;) {
      const fds = oom?.eventfd === undefined ? [pidfd] : [pidfd, oom.eventfd];
      const [pev = 0, oev = 0] = await pollFds(fds, fds.map(() => POLLIN), addon);
      if (oev & POLLIN) oom?.drainEventfd();
      if (pev & POLLIN) break;
    }
    oom?.check(); // an OOM kill that ended the container is still reported
  } finally {
    clearInterval(timer);
    oom?.close();
    closeSync(pidfd);
  }
  return 0;
}

/**
 * Emits oom events as the kernel reports them. v1: one per eventfd notification (as runc; the kernel notifies
 * before it counts the kill), except the one sent when the cgroup is removed. v2: one per increase of
 * memory.events' oom_kill, read when inotify says the file changed.
 */
class OomWatch {
  eventfd?: number;
  private memDir?: string;
  private seen = 0;
  private watcher?: FSWatcher;

  constructor(
    private readonly m: CgroupManager,
    private readonly onOom: () => void,
  ) {
    const v1 = m.paths.v1.memory;
    if (v1 !== undefined) this.registerV1(v1);
    else if (m.paths.v2 !== undefined) {
      this.seen = m.oomKills();
      this.watcher = watch(join(m.paths.v2, 'memory.events'), () => this.check());
    }
  }

  private registerV1(memDir: string): void {
    const efd = native().eventfd();
    let ctl: number | undefined;
    try {
      ctl = openSync(join(memDir, 'memory.oom_control'), 'r');
      writeFileSync(join(memDir, 'cgroup.event_control'), `${efd} ${ctl}`);
      this.eventfd = efd;
      this.memDir = memDir;
    } catch {
      closeSync(efd); // no memory controller files: stats only, as runc
    } finally {
      if (ctl !== undefined) closeSync(ctl);
    }
  }

  drainEventfd(): void {
    readSync(this.eventfd!, Buffer.alloc(8));
    if (existsSync(join(this.memDir!, 'cgroup.event_control'))) this.onOom();
  }

  /** v2: reports kills counted since the last look (also at each tick and at the end, in case a change was missed). */
  check(): void {
    if (this.watcher === undefined) return;
    let now: number;
    try {
      now = this.m.oomKills();
    } catch {
      return; // cgroup removed
    }
    for (; this.seen < now; this.seen++) this.onOom();
  }

  close(): void {
    this.watcher?.close();
    if (this.eventfd !== undefined) closeSync(this.eventfd);
  }
}
