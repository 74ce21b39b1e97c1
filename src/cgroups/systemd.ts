/**
 * The systemd cgroup driver behind the same interface: the container's cgroup is a transient unit (scope or
 * slice) that systemd makes with the init's pid in it; its files are then managed by the cgroupfs manager of
 * the host's layout, as runc does. Nothing is made before the init exists (setUp), and delete stops the unit.
 */
import type { CgroupManager, CgroupPaths, CgroupStats, Resources } from './types.js';
import type { CgroupManagerOptions } from './manager-common.js';
import { startTransientUnit, stopUnit } from './systemd-scope.js';

export class SystemdCgroupManager implements CgroupManager {
  readonly driver = 'systemd' as const;
  readonly paths: CgroupPaths;

  constructor(
    private readonly fs: CgroupManager,
    private readonly unit: NonNullable<CgroupManagerOptions['systemd']>,
    private readonly v2: boolean,
    /** create's linux.resources, written by enter once the unit exists. */
    private readonly resources: Resources = {},
  ) {
    this.paths = fs.paths;
  }

  setUp(): string[] {
    return [];
  }

  /** Returns once systemd's job is done: the defaults it writes then cannot overwrite the limits that follow. */
  enter(pid: number): string[] {
    const { unit, slice, id, job, isInit } = this.unit;
    startTransientUnit({ unit, slice, pid, id, v2: this.v2 }, job, isInit);
    this.fs.join(pid);
    return this.fs.apply(this.resources);
  }

  remove(): void {
    this.fs.killAll();
    stopUnit(this.unit.unit, this.unit.job, this.unit.isInit);
    this.fs.destroy();
  }

  create(): void {
    this.fs.create();
  }
  apply(resources: Resources): string[] {
    return this.fs.apply(resources);
  }
  update(resources: Resources): string[] {
    return this.fs.update(resources);
  }
  addProcess(pid: number): void {
    this.fs.addProcess(pid);
  }
  join(pid: number): void {
    this.fs.join(pid);
  }
  pids(): number[] {
    return this.fs.pids();
  }
  freeze(): void {
    this.fs.freeze();
  }
  thaw(): void {
    this.fs.thaw();
  }
  isFrozen(): boolean {
    return this.fs.isFrozen();
  }
  killAll(): void {
    this.fs.killAll();
  }
  destroy(): void {
    this.fs.destroy();
  }
  stats(): CgroupStats {
    return this.fs.stats();
  }
  oomKills(): number {
    return this.fs.oomKills();
  }
}
