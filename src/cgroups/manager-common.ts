/** What the v1 and v2 managers share: options, directory creation, the pre-create check, the kill fallback. */
import { CgroupInUseError, TsrunError } from '../errors.js';
import type { CgroupLayout, CgroupManager, CgroupPaths, CgroupStats, ContainerDevice, DeviceProgramOps, Resources, UnitJob } from './types.js';
import type { FreezerState, FreezerTiming } from './freezer.js';
import { CgroupFiles, cgroupFileError, errCode, isGone, type CgroupIO } from './io.js';
import { killPids, readAllProcs, type RmdirRetry } from './procs.js';

export interface CgroupManagerOptions {
  layout: CgroupLayout;
  paths: CgroupPaths;
  /** Where the layout's mount points are (a test's temporary directory); paths may or may not include it. */
  root?: string;
  /** The resources create() prepares before a process joins (v1 cpuset and realtime; v2 threaded-mode checks). */
  resources?: Resources;
  /** linux.devices: a device listed there drops runc's default rule for the same path. */
  specDevices?: ContainerDevice[];
  io?: CgroupIO;
  freezerTiming?: Partial<FreezerTiming>;
  rmdirRetry?: RmdirRetry;
  /** v2: loads the device rules as an eBPF program (without it, apply writes no device rules on v2). */
  devicePrograms?: DeviceProgramOps;
  /** A rootless container's cgroup: no device rules (an ordinary user can load no device program; runc skips them). */
  skipDevices?: boolean;
  /** The systemd driver: the transient unit holding the container, its slice, the container's id. */
  systemd?: { unit: string; slice: string; id: string; job: UnitJob; isInit?: boolean };
}

/**
 * The cgroupfs driver's part of create and delete, the same for v1 and v2: setUp makes the cgroup and writes every
 * limit before the init exists; enter puts the init in (unless it was cloned straight into it); remove kills
 * what is left and removes the directories.
 */
export abstract class CgroupfsManager implements CgroupManager {
  readonly driver = 'cgroupfs' as const;
  abstract readonly paths: CgroupPaths;
  abstract create(): void;
  abstract apply(resources: Resources): string[];
  abstract update(resources: Resources): string[];
  abstract addProcess(pid: number): void;
  abstract join(pid: number): void;
  abstract pids(): number[];
  abstract freeze(): void;
  abstract thaw(): void;
  abstract isFrozen(): boolean;
  abstract killAll(): void;
  abstract destroy(): void;
  abstract stats(): CgroupStats;
  abstract oomKills(): number;

  setUp(resources: Resources): string[] {
    this.create();
    return this.apply(resources);
  }

  enter(pid: number, clonedIn: boolean): string[] {
    if (!clonedIn) this.addProcess(pid);
    return [];
  }

  remove(): void {
    this.killAll();
    this.destroy();
  }
}

/** `p` on the filesystem the manager works on. */
export function underRoot(root: string, p: string): string {
  if (!root || root === '/') return p;
  const r = root.replace(/\/+$/, '');
  return p === r || p.startsWith(r + '/') ? p : r + (p.startsWith('/') ? p : '/' + p);
}

/**
 * mkdir -p; returns the directories it created, top first. Starts at the leaf, climbing only past missing
 * parents: a container's cgroup is usually one level below an existing one (one syscall per hierarchy, where
 * checking every ancestor from / took six). No existence check first: mkdir says EEXIST before EROFS or EACCES.
 */
export function mkdirAll(files: CgroupFiles, path: string): string[] {
  const cur = path.replace(/\/+$/, '') || '/';
  try {
    files.io.mkdir(cur);
    return [cur];
  } catch (err) {
    const code = errCode(err);
    if (code === 'EEXIST') return [];
    const parent = cur.slice(0, cur.lastIndexOf('/'));
    if (code !== 'ENOENT' || !parent) throw cgroupFileError('mkdir', cur, err);
  }
  const created = mkdirAll(files, cur.slice(0, cur.lastIndexOf('/')));
  try {
    files.io.mkdir(cur);
    created.push(cur);
  } catch (err) {
    if (errCode(err) !== 'EEXIST') throw cgroupFileError('mkdir', cur, err);
  }
  return created;
}

/** runc's check before create: an existing cgroup must have no processes and must not be frozen. */
export function refuseBusyCgroup(files: CgroupFiles, dir: string | undefined, frozen: () => FreezerState): void {
  if (dir !== undefined && files.exists(dir)) {
    let pids: number[] = [];
    try {
      pids = readAllProcs(files, dir);
    } catch (err) {
      // Reading can race with the cgroup's removal.
      if (!isGone(err)) throw new TsrunError(`unable to get cgroup PIDs: ${(err as Error).message}`);
    }
    if (pids.length !== 0) throw new CgroupInUseError(`container's cgroup is not empty: ${pids.length} process(es) found`);
  }
  let st: FreezerState;
  try {
    st = frozen();
  } catch (err) {
    throw new TsrunError(`unable to get cgroup freezer state: ${(err as Error).message}`);
  }
  if (st === 'FROZEN') throw new CgroupInUseError("container's cgroup unexpectedly frozen");
}

/**
 * runc's signalAllProcesses for SIGKILL: cgroup.kill in the unified directory where the kernel has it (5.14+),
 * otherwise freeze, SIGKILL every process, thaw (freezer failures are not fatal).
 */
export function killAllProcesses(files: CgroupFiles, unified: string | undefined, pidsDir: string, freeze: () => void, thaw: () => void): void {
  if (unified !== undefined) {
    try {
      files.write(unified, 'cgroup.kill', '1');
      return;
    } catch (err) {
      // ENOENT: a kernel without cgroup.kill, or the cgroup is gone; ENODEV: it is being removed. Either way the
      // fallback finds out (and finds nothing left where it is gone).
      if (!isGone(err)) throw err;
    }
  }
  try {
    freeze();
  } catch {
    // runc only warns
  }
  let pids: number[];
  try {
    pids = readAllProcs(files, pidsDir);
  } catch (err) {
    try {
      thaw();
    } catch {
      // runc only warns
    }
    // The cgroup went away meanwhile (systemd removes a scope once its last process has died): nothing is left.
    if (isGone(err)) return;
    throw err;
  }
  killPids(pids);
  try {
    thaw();
  } catch {
    // runc only warns
  }
}
