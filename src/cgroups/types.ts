/**
 * The cgroup manager interface (one for v1, hybrid, v2 and systemd), chosen from the host; every
 * implementation takes its filesystem root from the caller so tests can point it at a temporary directory.
 */
import type { LinuxBlockIO, LinuxDevice, LinuxDeviceCgroup, LinuxResources } from '../spec/schema.js';

/*
 * The limits as the cgroup files take them. They are runtime-spec's linux.resources field for field (and what
 * `update --resources` reads), so the cgroup code names them here once and nowhere else imports the spec.
 */
export type Resources = LinuxResources;
export type BlockIO = LinuxBlockIO;
/** A device cgroup rule (allow/deny, type, major, minor, access). */
export type DeviceCgroupRule = LinuxDeviceCgroup;
/** A device the container gets (linux.devices): allowed unless a rule denies it. */
export type ContainerDevice = LinuxDevice;

export type CgroupDriver = 'cgroupfs' | 'systemd';

/** Where the hierarchies are mounted on this host (from /proc/self/mountinfo). */
export interface CgroupLayout {
  /** v1: only v1 controllers; hybrid: v1 controllers plus a cgroup2 mount without them; v2: unified. */
  mode: 'v1' | 'hybrid' | 'v2';
  /** v1 hierarchies: mount point, the controllers (or name=...) it carries, and the mount's root. */
  v1: { mountpoint: string; subsystems: string[]; root: string }[];
  /** The cgroup2 mount (v2, or the hybrid host's unified mount). */
  v2?: { mountpoint: string; root: string };
}

/**
 * The kernel side of the v2 device controller (BPF_PROG_TYPE_CGROUP_DEVICE programs on a cgroup directory fd),
 * given by the caller: the managers stay free of the native addon.
 */
export interface DeviceProgramOps {
  query(dirFd: number): number[];
  load(insns: Buffer, license: string): number;
  attach(dirFd: number, progFd: number): void;
  detach(dirFd: number, progFd: number): void;
}

/** systemd's StartTransientUnit/StopUnit, waiting for the job (the addon's systemdUnitJob). */
export type UnitJob = (
  method: 'StartTransientUnit' | 'StopUnit',
  unit: string,
  props: import('../native/contract.js').SystemdProperty[],
  timeoutMs: number,
) => string;

/** The container's cgroup directories, absolute host paths; recorded in state.json at create. */
export interface CgroupPaths {
  /** v1 (and hybrid): controller (or "name=systemd") → directory. */
  v1: Record<string, string>;
  /** v2 (and hybrid): the unified directory. */
  v2?: string;
}

/** One memory counter group (v1 memory.*, memory.memsw.*, memory.kmem.*, memory.kmem.tcp.*). */
export interface MemoryEntry {
  limit?: bigint;
  usage?: bigint;
  max?: bigint;
  failcnt?: bigint;
}

/** One blkio table row ("8:0 Read 1282048"). */
export interface BlkioEntry {
  major: bigint;
  minor: bigint;
  op: string;
  value: bigint;
}

/**
 * What the cgroup files say, field by field (a file that is not there leaves its field out). Every counter is a
 * bigint: the kernel's values are 64-bit and must reach the output exactly. `events` turns this into runc's
 * types.Stats (cgroups/runc-stats.ts).
 */
export interface CgroupStats {
  cpu: {
    usage: { total: bigint; percpu?: bigint[]; percpu_kernel?: bigint[]; percpu_user?: bigint[]; kernel: bigint; user: bigint };
    throttling: { periods?: bigint; throttledPeriods?: bigint; throttledTime?: bigint };
  };
  /** cpus and mems as lists of cpu / node numbers; the others as read (sched_relax_domain_level is signed). */
  cpuset?: { cpus?: number[]; mems?: number[] } & { [file: string]: bigint | number[] | undefined };
  memory: {
    cache?: bigint;
    usage: MemoryEntry;
    swap?: MemoryEntry;
    kernel?: MemoryEntry;
    kernelTCP?: MemoryEntry;
    raw?: Record<string, bigint>;
  };
  pids: { current?: bigint; limit?: bigint };
  blkio: Record<string, BlkioEntry[]>;
  hugetlb?: Record<string, { usage?: bigint; max?: bigint; failcnt: bigint }>;
}

export interface CgroupManager {
  readonly driver: CgroupDriver;
  readonly paths: CgroupPaths;
  /**
   * Creates the directories (v2: enabling the needed controllers in every ancestor's subtree_control).
   * An existing cgroup that has processes in it, or is frozen, is refused (runc does).
   */
  create(): void;
  /** Writes every field of linux.resources; returns warnings for fields this host cannot apply. */
  apply(resources: Resources): string[];
  /**
   * `tsrun update`: writes the merged resources (updateResources) like apply, except the device rules, which
   * runc's update leaves alone (it sets SkipDevices).
   */
  update(resources: Resources): string[];
  /** Puts a process in the cgroup (v1: every hierarchy; v2: the one directory). */
  addProcess(pid: number): void;
  /**
   * systemd driver, after StartTransientUnit: makes whatever directory systemd has not made yet and puts the
   * process there (systemd may answer before its job has run; runc joins the same way). Unlike create, a
   * cgroup that already holds the process is expected.
   */
  join(pid: number): void;
  /** Every process in the cgroup. */
  pids(): number[];
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  /** SIGKILL every process (v2: cgroup.kill where the kernel has it). */
  killAll(): void;
  /** Removes the directories (leaf first); a missing one is fine. */
  destroy(): void;
  /**
   * create, before the init exists. cgroupfs: makes the cgroup and writes every limit (device rules included),
   * so the init starts limited. systemd: nothing yet (the unit is made with the init's pid: see enter).
   */
  setUp(resources: Resources): string[];
  /**
   * create, once the init exists and waits. cgroupfs: puts it in the cgroup (unless it was cloned straight into
   * the v2 directory). systemd: starts the transient unit with the pid, waits for its job, then writes the limits.
   */
  enter(pid: number, clonedIn: boolean): string[];
  /** delete: kills what is left, stops the systemd unit, removes the directories. */
  remove(): void;
  stats(): CgroupStats;
  /** How many times the OOM killer acted in this cgroup so far (v2 memory.events oom_kill, v1 oom_control). */
  oomKills(): number;
}
