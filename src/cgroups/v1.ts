/**
 * The cgroupfs manager for cgroup v1 (and hybrid hosts, where it also keeps the cgroup2 directory the
 * container's processes join), after runc's fs.Manager.
 */
import { posix } from 'node:path';
import { TsrunError } from '../errors.js';
import type { CgroupLayout, CgroupManager, CgroupPaths, CgroupStats, ContainerDevice, Resources } from './types.js';
import { deviceRules } from './devices.js';
import { DEFAULT_FREEZER_TIMING, freezeV1, freezerStateV1, thawV1, type FreezerTiming } from './freezer.js';
import { CgroupFiles, nodeIO } from './io.js';
import { CgroupfsManager, killAllProcesses, mkdirAll, refuseBusyCgroup, underRoot, type CgroupManagerOptions } from './manager-common.js';
import { valueByKey } from './parse.js';
import { RUNC_V1_SUBSYSTEMS } from './paths.js';
import { DEFAULT_RMDIR_RETRY, readAllProcs, removeCgroups, writeProc, type RmdirRetry } from './procs.js';
import { ResourceWriter } from './resource-writer.js';
import { applyV1, cpusetFile, readCpuset, setRtSched } from './v1-apply.js';
import { statsV1 } from './v1-stats.js';

/** Hierarchies whose join failures are ignored, as runc's NameGroup does (name=systemd, misc, the hybrid v2). */
const JOIN_BEST_EFFORT = new Set(['name=systemd', 'misc', '']);

export class CgroupV1Manager extends CgroupfsManager {
  readonly paths: CgroupPaths;
  private readonly files: CgroupFiles;
  private readonly root: string;
  private readonly layout: CgroupLayout;
  private readonly resources: Resources | undefined;
  private readonly specDevices: ContainerDevice[] | undefined;
  private readonly skipDevices: boolean;
  private readonly timing: FreezerTiming;
  private readonly rmdirRetry: RmdirRetry;
  /** controller → directory on the filesystem worked on, in runc's subsystem order; "" is the hybrid v2 dir. */
  private readonly dirs: [string, string][];

  constructor(o: CgroupManagerOptions) {
    super();
    this.paths = o.paths;
    this.files = new CgroupFiles(o.io ?? nodeIO);
    this.root = o.root ?? '';
    this.layout = o.layout;
    this.resources = o.resources;
    this.specDevices = o.specDevices;
    this.skipDevices = o.skipDevices === true;
    this.timing = { ...DEFAULT_FREEZER_TIMING, ...o.freezerTiming };
    this.rmdirRetry = o.rmdirRetry ?? DEFAULT_RMDIR_RETRY;
    const order = (k: string) => {
      const i = (RUNC_V1_SUBSYSTEMS as readonly string[]).indexOf(k);
      return i < 0 ? RUNC_V1_SUBSYSTEMS.length : i;
    };
    this.dirs = Object.entries(o.paths.v1)
      .sort((a, b) => order(a[0]) - order(b[0]))
      .map(([k, p]): [string, string] => [k, underRoot(this.root, p)]);
    if (o.paths.v2 !== undefined) this.dirs.push(['', underRoot(this.root, o.paths.v2)]);
  }

  private dir(controller: string): string | undefined {
    return this.dirs.find(([k]) => k === controller)?.[1];
  }

  private get v1Dirs(): Record<string, string> {
    return Object.fromEntries(this.dirs.filter(([k]) => k !== ''));
  }

  /** The directory whose processes are the container's: devices as runc, then pids, memory, cpu, any. */
  private procsDir(): string | undefined {
    for (const c of ['devices', 'pids', 'memory', 'cpu']) {
      const d = this.dir(c);
      if (d !== undefined && this.files.exists(d)) return d;
    }
    return this.dirs.map(([, d]) => d).find((d) => this.files.exists(d));
  }

  create(): void {
    refuseBusyCgroup(this.files, this.dir('devices') ?? this.dirs[0]?.[1], () => this.freezerState());
    this.makeDirs();
  }

  join(pid: number): void {
    this.makeDirs();
    this.addProcess(pid);
  }

  private makeDirs(): void {
    const w = new ResourceWriter(this.files);
    const done = new Set<string>();
    for (const [name, dir] of this.dirs) {
      if (name === 'cpuset') {
        this.createCpuset(w, dir);
      } else if (JOIN_BEST_EFFORT.has(name)) {
        try {
          mkdirAll(this.files, dir);
        } catch {
          // runc ignores a named hierarchy it cannot create
        }
      } else if (!done.has(dir)) {
        mkdirAll(this.files, dir);
      }
      // Real-time bandwidth must be there before a SCHED_RR/FIFO process can join.
      if (name === 'cpu' && this.resources) setRtSched(w, dir, this.resources);
      done.add(dir);
    }
  }

  /**
   * cpuset needs cpus and mems before any process can join: every new directory from the hierarchy's mount down
   * copies its parent's, unless the resources set them.
   */
  private createCpuset(w: ResourceWriter, dir: string): void {
    const h = this.layout.v1.find((x) => x.subsystems.includes('cpuset'));
    const mount = h ? underRoot(this.root, h.mountpoint) : undefined;
    if (mount !== undefined && dir.startsWith(mount + '/')) {
      let cur = mount;
      for (const part of dir.slice(mount.length + 1).split('/').slice(0, -1)) {
        const parent = cur;
        cur = `${cur}/${part}`;
        mkdirAll(this.files, cur);
        this.copyCpuset(cur, parent);
      }
    }
    mkdirAll(this.files, dir);
    const cpu = this.resources?.cpu;
    if (cpu?.cpus) w.set(dir, cpusetFile(this.files, dir, 'cpus'), cpu.cpus, 'linux.resources.cpu.cpus', { controller: 'cpuset' });
    if (cpu?.mems) w.set(dir, cpusetFile(this.files, dir, 'mems'), cpu.mems, 'linux.resources.cpu.mems', { controller: 'cpuset' });
    this.copyCpuset(dir, posix.dirname(dir));
  }

  private copyCpuset(current: string, parent: string): void {
    for (const name of ['cpus', 'mems']) {
      const mine = readCpuset(this.files, current, name);
      if (mine === undefined || (mine.text !== '' && mine.text !== '\n')) continue;
      const theirs = readCpuset(this.files, parent, name);
      if (theirs !== undefined) this.files.write(current, mine.file, theirs.text);
    }
  }

  apply(resources: Resources): string[] {
    const w = new ResourceWriter(this.files);
    applyV1(w, this.v1Dirs, resources, { deviceRules: this.skipDevices ? undefined : deviceRules(resources.devices, this.specDevices) });
    return w.warnings;
  }

  update(resources: Resources): string[] {
    const w = new ResourceWriter(this.files);
    applyV1(w, this.v1Dirs, resources, {});
    return w.warnings;
  }

  addProcess(pid: number): void {
    const done = new Set<string>();
    for (const [name, dir] of this.dirs) {
      if (done.has(dir)) continue;
      done.add(dir);
      try {
        writeProc(this.files, dir, pid);
      } catch (err) {
        if (!JOIN_BEST_EFFORT.has(name)) throw err;
      }
    }
  }

  pids(): number[] {
    const d = this.procsDir();
    return d === undefined ? [] : readAllProcs(this.files, d);
  }

  private freezerDir(): string {
    const d = this.dir('freezer');
    if (d === undefined) throw new TsrunError('cannot toggle freezer: cgroups not configured for container');
    return d;
  }

  private freezerState() {
    const d = this.dir('freezer');
    return d === undefined ? '' : freezerStateV1(this.files, d, this.timing);
  }

  freeze(): void {
    freezeV1(this.files, this.freezerDir(), this.timing);
  }

  thaw(): void {
    thawV1(this.files, this.freezerDir());
  }

  isFrozen(): boolean {
    return this.freezerState() === 'FROZEN';
  }


  killAll(): void {
    const d = this.procsDir();
    if (d === undefined) return;
    const unified = this.dir('');
    killAllProcesses(this.files, unified !== undefined && this.files.exists(unified) ? unified : undefined, d, () => this.freeze(), () => this.thaw());
  }

  destroy(): void {
    removeCgroups(this.files, this.dirs, this.rmdirRetry);
  }

  stats(): CgroupStats {
    return statsV1(this.files, this.v1Dirs);
  }

  oomKills(): number {
    const d = this.dir('memory');
    const t = d === undefined ? undefined : this.files.tryRead(d, 'memory.oom_control');
    return t === undefined || d === undefined ? 0 : Number(valueByKey(t, 'oom_kill', d, 'memory.oom_control'));
  }
}
