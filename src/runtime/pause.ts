/** pause / resume: the cgroup freezer (v1 freezer.state, v2 cgroup.freeze). */
import { TsrunError } from '../errors.js';
import { native } from '../native/addon.js';
import { managerOf } from './cgroup.js';
import { StateDir, statusOf, type ContainerState } from './state.js';

function load(root: string, id: string): { dir: StateDir; st: ContainerState } {
  const dir = new StateDir(root, id);
  const st = dir.load();
  dir.lock(native().flock);
  return { dir, st };
}

export function pauseContainer(root: string, id: string): void {
  const { st, dir } = load(root, id);
  const status = statusOf(dir, st);
  if (status !== 'running' && status !== 'created') throw new TsrunError('container not running');
  // runc's words: a rootless container that could not get a cgroup of its own has no freezer.
  if (!st.config.cgroup) throw new TsrunError('cannot toggle freezer: cgroups not configured for container');
  managerOf(st.config.cgroup).freeze();
}

export function resumeContainer(root: string, id: string): void {
  const { st, dir } = load(root, id);
  if (statusOf(dir, st) !== 'paused') throw new TsrunError('container not paused');
  managerOf(st.config.cgroup!).thaw();
}
