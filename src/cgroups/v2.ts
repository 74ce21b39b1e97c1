/** The cgroupfs manager for the cgroup v2 unified hierarchy, after runc's fs2.Manager. */
import { TsrunError } from '../errors.js';
import type { CgroupManager, CgroupPaths, CgroupStats, ContainerDevice, DeviceProgramOps, Resources } from './types.js';
import { cpuSharesToWeight } from './convert.js';
import { DEFAULT_FREEZER_TIMING, freezerStateV2, setFreezerV2, type FreezerTiming } from './freezer.js';
import { CgroupFiles, errCode, nodeIO } from './io.js';
import { loadDeviceProgram } from './device-program.js';
import { CgroupfsManager, killAllProcesses, refuseBusyCgroup, underRoot, type CgroupManagerOptions } from './manager-common.js';
import { valueByKey } from './parse.js';
import { DEFAULT_RMDIR_RETRY, readAllProcs, removeCgroup, writeProc, type RmdirRetry } from './procs.js';
import { ResourceWriter } from './resource-writer.js';
import { applyV2 } from './v2-apply.js';
import { statsV2 } from './v2-stats.js';

/** Controllers that cannot work in a threaded cgroup (runc's containsDomainController). */
function needsDomainControllers(r: Resources | undefined): boolean {
  if (!r) return false;
  const m = r.memory ?? {};
  const b = r.blockIO ?? {};
  const c = r.cpu ?? {};
  const memory = !!(m.limit || m.swap || m.reservation);
  const io = !!b.weight || [b.weightDevice, b.throttleReadBpsDevice, b.throttleWriteBpsDevice, b.throttleReadIOPSDevice, b.throttleWriteIOPSDevice].some((l) => (l ?? []).length > 0);
  const cpu = cpuSharesToWeight(c.shares ?? 0) !== 0 || !!c.quota || !!c.period || c.idle !== undefined || c.burst !== undefined;
  const hugetlb = (r.hugepageLimits ?? []).length > 0;
  return memory || io || cpu || hugetlb;
}

export class CgroupV2Manager extends CgroupfsManager {
  readonly paths: CgroupPaths;
  private readonly files: CgroupFiles;
  private readonly dirPath: string;
  private readonly mount: string;
  private readonly resources: Resources | undefined;
  private readonly specDevices: ContainerDevice[] | undefined;
  private readonly skipDevices: boolean;
  private readonly devicePrograms: DeviceProgramOps | undefined;
  private readonly timing: FreezerTiming;
  private readonly rmdirRetry: RmdirRetry;

  constructor(o: CgroupManagerOptions) {
    super();
    if (o.paths.v2 === undefined) throw new TsrunError('cgroup v2 manager needs the unified directory');
    if (!o.layout.v2) throw new TsrunError('no cgroup2 mount found in mountinfo');
    const root = o.root ?? '';
    this.paths = o.paths;
    this.files = new CgroupFiles(o.io ?? nodeIO);
    this.dirPath = underRoot(root, o.paths.v2);
    this.mount = underRoot(root, o.layout.v2.mountpoint).replace(/(.)\/+$/, '$1');
    this.resources = o.resources;
    this.specDevices = o.specDevices;
    this.skipDevices = o.skipDevices === true;
    this.devicePrograms = o.devicePrograms;
    this.timing = { ...DEFAULT_FREEZER_TIMING, ...o.freezerTiming };
    this.rmdirRetry = o.rmdirRetry ?? DEFAULT_RMDIR_RETRY;
  }

  /**
   * Creates the directory and every missing parent, enabling in every ancestor (from the mount down) the
   * controllers the mount offers, so the container's directory has them. A cgroup in threaded mode cannot take
   * domain controllers; one in "domain invalid" mode is turned threaded when none is needed (runc).
   */
  create(): void {
    refuseBusyCgroup(this.files, this.dirPath, () => freezerStateV2(this.files, this.dirPath, this.timing));
    this.makeDirs();
  }

  join(pid: number): void {
    if (!this.files.exists(this.dirPath)) this.makeDirs();
    this.addProcess(pid);
  }

  private makeDirs(): void {
    const mount = this.mount;
    if (this.dirPath !== mount && !this.dirPath.startsWith(mount === '/' ? '/' : mount + '/')) {
      throw new TsrunError(`invalid cgroup path ${this.dirPath}`);
    }
    const ctrs = this.files.read(mount, 'cgroup.controllers').split(/\s+/).filter(Boolean);
    const enable = ctrs.map((c) => '+' + c);
    const rel = this.dirPath.slice(mount.length).split('/').filter(Boolean);
    const chain = [mount];
    for (const part of rel) chain.push(`${chain[chain.length - 1]!.replace(/\/$/, '')}/${part}`);

    const created: string[] = [];
    try {
      chain.forEach((current, i) => {
        if (i > 0) {
          if (!this.files.exists(current)) {
            try {
              this.files.io.mkdir(current);
              created.push(current);
            } catch (err) {
              if (errCode(err) !== 'EEXIST') throw err;
            }
          }
          this.checkType(current);
        }
        if (i < chain.length - 1 && enable.length > 0) {
          try {
            this.files.write(current, 'cgroup.subtree_control', enable.join(' '));
          } catch {
            // One by one, so the available ones still get enabled; a missing one surfaces when it is used.
            for (const c of enable) {
              try {
                this.files.write(current, 'cgroup.subtree_control', c);
              } catch {
                // as runc: ignored here
              }
            }
          }
        }
      });
    } catch (err) {
      for (const d of created.reverse()) {
        try {
          this.files.io.rmdir(d);
        } catch {
          // leave it
        }
      }
      throw err;
    }
  }

  private checkType(dir: string): void {
    const type = (this.files.tryRead(dir, 'cgroup.type') ?? '').trim();
    const domain = needsDomainControllers(this.resources);
    if (type === 'domain invalid') {
      if (domain) throw new TsrunError(`cannot enter cgroupv2 "${dir}" with domain controllers -- it is in an invalid state`);
      try {
        this.files.write(dir, 'cgroup.type', 'threaded');
      } catch {
        // as runc: ignored
      }
    } else if ((type === 'domain threaded' || type === 'threaded') && domain) {
      throw new TsrunError(`cannot enter cgroupv2 "${dir}" with domain controllers -- it is in ${type} mode`);
    }
  }

  /** The files, then the device rules as an eBPF program (when the caller gave the means to load one). */
  apply(resources: Resources): string[] {
    const w = this.writeFiles(resources);
    if (this.devicePrograms && !this.skipDevices) loadDeviceProgram(this.devicePrograms, this.dirPath, resources, this.specDevices);
    return w;
  }

  /** The files only: runc's update leaves the device rules alone (SkipDevices). */
  update(resources: Resources): string[] {
    return this.writeFiles(resources);
  }

  private writeFiles(resources: Resources): string[] {
    const w = new ResourceWriter(this.files);
    applyV2(w, this.dirPath, resources);
    return w.warnings;
  }


  addProcess(pid: number): void {
    writeProc(this.files, this.dirPath, pid);
  }

  pids(): number[] {
    return this.files.exists(this.dirPath) ? readAllProcs(this.files, this.dirPath) : [];
  }

  freeze(): void {
    setFreezerV2(this.files, this.dirPath, 'FROZEN', this.timing);
  }

  thaw(): void {
    setFreezerV2(this.files, this.dirPath, 'THAWED', this.timing);
  }

  isFrozen(): boolean {
    return freezerStateV2(this.files, this.dirPath, this.timing) === 'FROZEN';
  }

  killAll(): void {
    if (!this.files.exists(this.dirPath)) return;
    killAllProcesses(this.files, this.dirPath, this.dirPath, () => this.freeze(), () => this.thaw());
  }

  destroy(): void {
    removeCgroup(this.files, this.dirPath, this.rmdirRetry);
  }

  stats(): CgroupStats {
    return statsV2(this.files, this.dirPath);
  }

  oomKills(): number {
    const t = this.files.tryRead(this.dirPath, 'memory.events');
    return t === undefined ? 0 : Number(valueByKey(t, 'oom_kill', this.dirPath, 'memory.events'));
  }
}
