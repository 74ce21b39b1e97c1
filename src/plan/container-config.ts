/**
 * spec → the container config: everything create decides about a container, in the kernel's terms, by one
 * pure function (host facts come in as data, or as readers the caller gives). The launch plan runs once, at
 * create; what later commands need (`kept`) is stored in state.json, and no command rebuilds it from a spec.
 */
import type { CgroupHostFacts, CgroupRecord } from '../cgroups/record.js';
import { cgroupRecordOf, oomFileOf, ownCgroupPaths } from '../cgroups/record.js';
import { limitsWithoutCgroup } from '../cgroups/no-cgroup.js';
import { TsrunError } from '../errors.js';
import { StateFile } from '../native/contract.js';
import type { LinuxSeccomp, Spec } from '../spec/schema.js';
import { hostId, specToPlan, type ConvertOptions } from './create-plan.js';
import { execConfigOf, type ExecConfig } from './exec-config.js';
import type { CgroupHost, HostFacts } from './host.js';
import type { HookCommand, IdMap, Plan, PlanShim } from './plan.js';

/** What every command after create reads (state.json `config`). */
export interface KeptConfig {
  /**
   * Driver, layout, directories and the resources last applied (`update` merges into them); absent when the
   * container has no cgroup of its own.
   */
  cgroup?: CgroupRecord;
  /** What an exec'd process takes from the container when its own process does not say. */
  exec: ExecConfig;
  /** Hooks that run after create, as config.json had them then (later edits of config.json do not count). */
  hooks?: { poststart?: HookCommand[]; poststop?: HookCommand[] };
  /** The init has its own pid namespace (killing it kills every process of the container). */
  privatePidNs: boolean;
  /** The container's process has a terminal (attach relays raw keystrokes and window sizes). */
  terminal: boolean;
}

export interface ContainerConfig {
  /** The init's launch plan (launcher and init), run once by create. */
  launch: Plan;
  kept: KeptConfig;
  /** Hooks the runtime runs while the init waits, between its mounts and its pivot. */
  runtimeHooks: { prestart?: HookCommand[]; createRuntime?: HookCommand[] };
  /** The host ids of the container's user: exec.fifo is theirs alone. */
  fifoOwner: { uid: number; gid: number };
  /** The compiled seccomp filter, kept beside state.json for exec (`kept.exec.seccomp.file`). */
  seccompProgram?: Buffer;
  /** The OCI state document's identity. */
  identity: { ociVersion: string; annotations?: Record<string, string>; rootfs: string };
}

/** What the caller decides (flags, the state directory, who supervises); see ConvertOptions. */
export interface ConfigInput extends Omit<ConvertOptions, 'home' | 'seccomp' | 'shim' | 'cgroupV2Dir'> {
  systemdCgroup: boolean;
  /** --rootless: a cgroup that cannot be made is left out unless limits need it (runc's rootless cgroups). */
  rootlessCgroups?: boolean;
  /** The shim, when one supervises (its OOM counter comes from the cgroup decided here). */
  shim?: Omit<PlanShim, 'oomFile'>;
  /** Absolute rootfs (the bundle's root.path resolved without leaving it). */
  rootfs: string;
}

/** Host facts, and the readers the conversion asks (so that it stays free of I/O and testable with fakes). */
export interface ConfigHost extends Omit<HostFacts, 'cgroup'> {
  cgroups: CgroupHostFacts;
  /** HOME of `uid` in the container's /etc/passwd. */
  home(rootfs: string, uid: number): string | undefined;
  /** linux.seccomp → BPF (libseccomp through the addon). */
  compileSeccomp(seccomp: LinuxSeccomp): { program: Buffer; flags: number };
  /** The user's systemd manager's ControlGroup (asked only for a rootless container with --systemd-cgroup). */
  systemdUserCgroup(): string;
  /** Whether this user can make and fill the cgroup's directories (asked only for rootless cgroups). */
  cgroupWritable(cgroup: CgroupRecord): boolean;
  /** The id maps of a user namespace joined by path. */
  userNsMaps(path: string): { uidMaps: IdMap[]; gidMaps: IdMap[] };
}

/** The one conversion: spec, options and host facts → the container config. */
export function containerConfig(spec: Spec, input: ConfigInput, host: ConfigHost): ContainerConfig {
  const linux = spec.linux ?? {};
  const { systemdCgroup, rootlessCgroups, shim, rootfs, ...convert } = input;
  // A rootless container's systemd unit is the user's manager's.
  const driver = systemdCgroup ? { systemd: true as const, userManager: rootlessCgroups ? host.systemdUserCgroup() : undefined } : { systemd: false as const };
  let cgroup: CgroupRecord | undefined = cgroupRecordOf(linux, input.id, driver, host.cgroups);
  const warnings: string[] = [];
  // Rootless: a cgroup that cannot be made is left out (the container stays in tsrun's), unless limits need it
  // or config.json names it (runc tolerates only the default path).
  if (rootlessCgroups && !host.cgroupWritable(cgroup)) {
    if (linux.cgroupsPath)
      throw new TsrunError(
        `linux.cgroupsPath ${JSON.stringify(linux.cgroupsPath)}: this user cannot create that cgroup (permission denied); leave cgroupsPath out to run in your own cgroups, or delegate the directory`,
      );
    warnings.push(...limitsWithoutCgroup(linux.resources));
    cgroup = undefined;
  } else if (rootlessCgroups) {
    cgroup = { ...cgroup, rootless: true };
  }
  const seccomp = linux.seccomp ? host.compileSeccomp(linux.seccomp) : undefined;
  const launch = specToPlan(
    spec,
    {
      ...convert,
      home: host.home(rootfs, spec.process!.user?.uid ?? 0),
      seccomp,
      shim: shim && { ...shim, oomFile: oomFileOf(cgroup) },
      // cgroupfs on v2: cloned straight into its cgroup where nobody can see it at birth.
      cgroupV2Dir: cgroup?.driver === 'cgroupfs' && cgroup.layout.mode === 'v2' ? cgroup.paths.v2 : undefined,
    },
    { ...host, cgroup: cgroupView(cgroup ?? { layout: host.cgroups.layout, paths: ownCgroupPaths(host.cgroups) }) },
  );
  launch.warnings.unshift(...warnings);
  const sc = linux.seccomp;
  const execSeccomp: ExecConfig['seccomp'] = seccomp && {
    file: StateFile.SECCOMP,
    flags: seccomp.flags,
    listener: sc!.listenerPath ? { path: sc!.listenerPath, metadata: sc!.listenerMetadata ?? '' } : undefined,
  };
  const hooks = spec.hooks ?? {};
  return {
    launch,
    kept: {
      cgroup,
      exec: execConfigOf(launch.process, input.noNewKeyring, execSeccomp),
      hooks: hooks.poststart?.length || hooks.poststop?.length ? { poststart: hooks.poststart, poststop: hooks.poststop } : undefined,
      privatePidNs: (linux.namespaces ?? []).some((n) => n.type === 'pid' && n.path === undefined),
      terminal: spec.process?.terminal === true,
    },
    runtimeHooks: { prestart: hooks.prestart, createRuntime: hooks.createRuntime },
    fifoOwner: fifoOwner(spec, host),
    seccompProgram: seccomp?.program,
    identity: { ociVersion: spec.ociVersion, annotations: spec.annotations, rootfs },
  };
}

/**
 * The plan's view of the container's cgroups (for its /sys/fs/cgroup mount), from the same layout and paths the
 * manager uses: the host's cgroup mounts are read once.
 */
export function cgroupView(r: Pick<CgroupRecord, 'layout' | 'paths'>): CgroupHost {
  const { layout, paths } = r;
  const v1: CgroupHost['v1'] = [];
  for (const h of layout.v1) {
    const key = Object.keys(paths.v1).find((k) => h.subsystems.includes(k) || h.subsystems.includes(`name=${k}`));
    if (key) v1.push({ mountpoint: h.mountpoint, subsystems: h.subsystems, path: paths.v1[key]! });
  }
  const v2 = layout.mode === 'v2' && layout.v2 && paths.v2 ? { mountpoint: layout.v2.mountpoint, path: paths.v2 } : undefined;
  return { v1, v2, hybrid: layout.mode === 'hybrid' };
}

/**
 * The host uid/gid the container's process runs as: process.user through the id maps of its user namespace
 * (a new one's from the config, a joined one's from a process in it), the ids themselves without one. An id
 * the namespace does not map gives root: the init fails at setresuid before it reaches the fifo.
 */
function fifoOwner(spec: Spec, host: Pick<ConfigHost, 'userNsMaps'>): { uid: number; gid: number } {
  const user = spec.process?.user ?? { uid: 0, gid: 0 };
  const ns = spec.linux?.namespaces?.find((n) => n.type === 'user');
  let uidMaps: IdMap[] | undefined;
  let gidMaps: IdMap[] | undefined;
  if (ns?.path) ({ uidMaps, gidMaps } = host.userNsMaps(ns.path));
  else if (ns) ({ uidMappings: uidMaps = [], gidMappings: gidMaps = [] } = spec.linux!);
  return { uid: hostId(uidMaps, user.uid) ?? 0, gid: hostId(gidMaps, user.gid) ?? 0 };
}

/** A terminal without a console socket: nobody but tsrun's shim (or tsrun in the foreground) can hold it. */
export function ownsTerminal(spec: Spec, consoleSocket: string | undefined): boolean {
  return spec.process?.terminal === true && !consoleSocket;
}
