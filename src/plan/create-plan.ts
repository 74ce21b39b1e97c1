/**
 * Spec → the plan of a new container: pure. Everything config.json names becomes numbers, absolute paths and
 * an ordered filesystem script (mounts.ts), the process becomes kernel settings (process.ts), hooks and the
 * seccomp agent get their state documents (oci-state.ts). Host facts come in as data.
 */
import { HookPhase, LaunchMode, OpFlag, OpKind, ProcessFlag } from '../native/contract.js';
import type { Mount, Spec } from '../spec/schema.js';
import type { HostFacts } from './host.js';
import { addMounts, type MountCtx } from './mounts.js';
import { ociStateTemplate, seccompAgentPayload, type OciIdentity } from './oci-state.js';
import { P, op } from './ops.js';
import type { IdMap, Plan, PlanHook, PlanProcess, PlanShim } from './plan.js';
import { TsrunError } from '../errors.js';
import { personalityOf, planProcess, processSettings } from './process.js';
import { MS, joinOrder, namespaceFlag, propagationFlags, type NamespaceType } from './tables.js';

export interface ConvertOptions {
  id: string;
  /** Absolute bundle directory (relative root and bind sources resolve against it). */
  bundle: string;
  /** Path of exec.fifo (the init holds an O_PATH fd of it, never of its directory). */
  fifo: string;
  foreground: boolean;
  noPivot: boolean;
  noNewKeyring: boolean;
  /** Absolute path of the caller's console socket. */
  consoleSocket?: string;
  /** Fds from 3 passed to the container unchanged (LISTEN_FDS + --preserve-fds). */
  preserveFds: number;
  /** Added to process.env (LISTEN_FDS/LISTEN_PID for socket activation). */
  extraEnv?: string[];
  /** HOME from the container's /etc/passwd, used when process.env has none. */
  home?: string;
  /** linux.seccomp compiled (the compiler is the addon's; the plan stays pure). */
  seccomp?: { program: Buffer; flags: number };
  /** NOTIFY_SOCKET: the bind mount of the socket's directory and the variable that names it in the container. */
  notify?: { mount: Mount; env: string };
  /** The shim's part, when one supervises (who supervises and where logs go are the caller's host facts). */
  shim?: PlanShim;
  /** cgroupfs on v2: the container's directory, which the init is cloned into when nobody can see it at birth. */
  cgroupV2Dir?: string;
}

/** config.json as the container gets it: with the notify socket's mount and variable (the caller's spec untouched). */
function withNotify(spec: Spec, notify: ConvertOptions['notify']): Spec {
  if (!notify) return spec;
  const p = spec.process!;
  return { ...spec, mounts: [...(spec.mounts ?? []), notify.mount], process: { ...p, env: [...(p.env ?? []), notify.env] } };
}

/** Fields this version of tsrun does not apply yet: never silently, since some of them are security settings. */
export function unappliedFields(spec: Spec): string[] {
  const linux = spec.linux ?? {};
  const p = spec.process;
  const fields: [string, unknown][] = [
    ['linux.intelRdt', linux.intelRdt],
    ['linux.memoryPolicy', linux.memoryPolicy],
    ['linux.netDevices', linux.netDevices],
    ['process.execCPUAffinity', p?.execCPUAffinity],
  ];
  return fields.filter(([, v]) => v !== undefined && v !== false && v !== '').map(([name]) => name);
}

type Namespaces = Map<NamespaceType, { path?: string }>;

/** New namespaces (clone flags), joined ones (in join order), and the time namespace's offsets. */
function namespaces(spec: Spec, ns: Namespaces): Pick<Plan, 'nsNew' | 'joins' | 'timeOffsets'> {
  let nsNew = 0;
  const joins: Plan['joins'] = [];
  for (const t of joinOrder) {
    const n = ns.get(t);
    if (!n) continue;
    if (n.path !== undefined) joins.push({ type: namespaceFlag[t], path: n.path, name: t });
    // A new cgroup namespace is made by the init once it is in its cgroup; time namespaces by the launcher.
    else if (t !== 'time' && t !== 'cgroup') nsNew |= namespaceFlag[t];
  }
  let timeOffsets: Plan['timeOffsets'];
  if (ns.has('time') && ns.get('time')!.path === undefined) {
    const off = spec.linux?.timeOffsets ?? {};
    timeOffsets = {
      boottime: [off.boottime?.secs ?? 0, off.boottime?.nanosecs ?? 0],
      monotonic: [off.monotonic?.secs ?? 0, off.monotonic?.nanosecs ?? 0],
    };
  }
  return { nsNew, joins, timeOffsets };
}

/**
 * With a mount namespace: "/" takes the requested propagation first (rshared keeps the host's peer groups, so
 * that mounts under shared volumes propagate both ways, as with docker's rshared binds); the default keeps
 * every mount of the container away from the host. The rootfs's own mount is made private (slave with a slave
 * root) so that binding it and pivot_root work whatever "/" is. Then the mounts, the hooks, the pivot.
 */
function mountNamespaceSteps(ctx: MountCtx, rootfs: string, noPivot: boolean): void {
  const { ops } = ctx;
  const rp = ctx.spec.linux?.rootfsPropagation;
  const rpFlags = rp ? propagationFlags[rp]! : 0;
  ops.push(op(OpKind.MOUNT, `set "/" propagation`, { flags: OpFlag.TGT_HOST, c: rpFlags || MS.SLAVE | MS.REC, s: ['', '/', '', ''] }));
  ops.push(
    op(OpKind.PARENT_PROPAGATION, `make the mount of "${rootfs}" private`, {
      a: rpFlags & MS.SLAVE ? MS.SLAVE : MS.PRIVATE,
      s: [rootfs, '', '', ''],
    }),
  );
  ops.push(op(OpKind.MOUNT, `bind rootfs "${rootfs}"`, { flags: OpFlag.TGT_HOST, a: MS.BIND | MS.REC, s: [rootfs, rootfs, '', ''] }));
  ops.push(op(OpKind.OPEN_ROOT, `open rootfs "${rootfs}"`, { s: [rootfs, '', '', ''] }));
  addMounts(ctx);
  addCreateHooks(ctx);
  ops.push(op(OpKind.PIVOT, noPivot ? `move root to "${rootfs}"` : `pivot_root to "${rootfs}"`, { flags: noPivot ? OpFlag.NO_PIVOT : 0 }));
  if (rpFlags) ops.push(op(OpKind.MOUNT, `set root propagation "${rp}"`, { flags: OpFlag.TGT_HOST, c: rpFlags, s: ['', '/', '', ''] }));
}

/** Without a mount namespace there is nothing to mount: the init chroots. */
function chrootSteps(ctx: MountCtx, rootfs: string): void {
  if (ctx.spec.mounts?.length) ctx.warnings.push('mounts are ignored: the container has no mount namespace');
  if (ctx.spec.root!.readonly) ctx.warnings.push('root.readonly is ignored: the container has no mount namespace');
  ctx.ops.push(op(OpKind.OPEN_ROOT, `open rootfs "${rootfs}"`, { s: [rootfs, '', '', ''] }));
  addCreateHooks(ctx);
  ctx.ops.push(op(OpKind.CHROOT, `chroot to "${rootfs}"`));
}

/** Once in the root: cwd, console, read-only remounts, names, sysctls, read-only and masked paths. */
function insideRootSteps(ctx: MountCtx, hasMountNs: boolean): void {
  const { spec, ops } = ctx;
  const p = spec.process!;
  ops.push(op(OpKind.MKDIR, `create cwd "${p.cwd}"`, { a: 0o755, s: [p.cwd, '', '', ''] }));
  if (p.terminal === true) ops.push(op(OpKind.CONSOLE, 'set up the console', { s: ['/dev/ptmx', '', hasMountNs ? '/dev/console' : '', ''] }));
  ops.push(...ctx.finalize);
  if (spec.root!.readonly && hasMountNs) ops.push(op(OpKind.REMOUNT_RO, 'remount "/" read-only', { s: ['/', '', '', ''] }));
  if (spec.hostname) ops.push(op(OpKind.HOSTNAME, `sethostname "${spec.hostname}"`, { s: [spec.hostname, '', '', ''] }));
  if (spec.domainname) ops.push(op(OpKind.DOMAINNAME, `setdomainname "${spec.domainname}"`, { s: [spec.domainname, '', '', ''] }));
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {}))
    ops.push(op(OpKind.SYSCTL, `write sysctl "${key}"`, { s: [`/proc/sys/${key.replace(/\./g, '/')}`, value, '', ''] }));
  for (const path of spec.linux?.readonlyPaths ?? []) ops.push(op(OpKind.READONLY, `make "${path}" read-only`, { s: [path, '', '', ''] }));
  for (const path of spec.linux?.maskedPaths ?? []) ops.push(op(OpKind.MASK, `mask "${path}"`, { s: [path, '', '', ''] }));
}

/** An ordinary user can make nothing outside a user namespace of their own (runc's words first). */
function rootlessChecks(linux: NonNullable<Spec['linux']>, ns: Namespaces, euid: number): void {
  const user = ns.get('user');
  if (!user) throw new TsrunError(`rootless container requires user namespaces: linux.namespaces has no "user" (tsrun runs as uid ${euid})`);
  if (user.path !== undefined) return;
  if (!linux.uidMappings?.length) throw new TsrunError('rootless containers requires at least one UID mapping: linux.uidMappings is empty');
  if (!linux.gidMappings?.length) throw new TsrunError('rootless containers requires at least one GID mapping: linux.gidMappings is empty');
}

/**
 * The new user namespace's maps. As root, the launcher writes them. An ordinary user may write only a map of
 * their own id (and their own gid once setgroups is denied, as the kernel requires); subordinate ids are
 * written by newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.
 */
function userNsMaps(linux: NonNullable<Spec['linux']>, host: HostFacts): Pick<Plan, 'uidMaps' | 'gidMaps' | 'setgroupsDeny' | 'idMapTools'> {
  const uidMaps = linux.uidMappings ?? [];
  const gidMaps = linux.gidMappings ?? [];
  const user = host.unprivileged;
  if (!user) return { uidMaps, gidMaps, setgroupsDeny: false };
  const own = (m: IdMap[], id: number) => m.length === 1 && m[0]!.hostID === id && m[0]!.size === 1;
  const ownUid = own(uidMaps, user.euid);
  const ownGid = own(gidMaps, user.egid);
  return {
    uidMaps,
    gidMaps,
    setgroupsDeny: ownGid,
    idMapTools: ownUid && ownGid ? undefined : (host.idMapTools ?? { newuidmap: '', newgidmap: '' }),
  };
}

/** The container's init: config.json's process with the runtime's env, flags and keyring. */
function initProcess(ctx: MountCtx, opts: ConvertOptions, setgroupsDenied: boolean): PlanProcess {
  const settings = processSettings(ctx.spec.process!, ctx.host, ctx.warnings);
  const personality = personalityOf(ctx.spec.linux?.personality, ctx.warnings);
  if (setgroupsDenied && settings.groups.length > 0)
    throw new TsrunError(
      'process.user.additionalGids: a user namespace that maps only your own gid denies setgroups, so no additional groups can be set; map subordinate gids (/etc/subgid, newgidmap from the uidmap package) to use them',
    );
  // setgroups(0, NULL) drops tsrun's groups; where the namespace denies it, the init has none to drop.
  let flags = setgroupsDenied ? 0 : ProcessFlag.SETGROUPS;
  if (!opts.noNewKeyring) flags |= ProcessFlag.NEW_KEYRING;
  if (opts.foreground) flags |= ProcessFlag.SUBREAPER;
  const cgroupNs = ctx.ns.get('cgroup');
  if (cgroupNs && cgroupNs.path === undefined) flags |= ProcessFlag.NEW_CGROUPNS;
  return planProcess(settings, {
    home: opts.home,
    extraEnv: opts.extraEnv,
    flags,
    keyring: opts.noNewKeyring ? undefined : `_ses.${opts.id}`,
    preserveFds: opts.preserveFds,
    personality,
    seccomp: opts.seccomp,
  });
}

export function specToPlan(config: Spec, opts: ConvertOptions, host: HostFacts): Plan {
  const spec = withNotify(config, opts.notify);
  const p = spec.process!;
  const linux = spec.linux ?? {};
  const ns: Namespaces = new Map();
  for (const n of linux.namespaces ?? []) ns.set(n.type, { path: n.path });
  const ctx: MountCtx = { spec, bundle: opts.bundle, host, ops: [], finalize: [], warnings: [], ns, idmaps: [] };
  const unapplied = unappliedFields(spec);
  if (unapplied.length) ctx.warnings.push(`not applied by this version of tsrun: ${unapplied.join(', ')}`);

  const rootfs = P.resolve(opts.bundle, spec.root!.path);
  const hasMountNs = ns.has('mount');
  if (hasMountNs) mountNamespaceSteps(ctx, rootfs, opts.noPivot);
  else chrootSteps(ctx, rootfs);
  insideRootSteps(ctx, hasMountNs);

  if (host.unprivileged) rootlessChecks(linux, ns, host.unprivileged.euid);
  const newUserNs = ns.has('user') && ns.get('user')!.path === undefined;
  const maps = newUserNs ? userNsMaps(linux, host) : { uidMaps: [], gidMaps: [], setgroupsDeny: false };
  const proc = initProcess(ctx, opts, maps.setgroupsDeny);
  const terminal = p.terminal === true;
  const identity: OciIdentity = { ociVersion: spec.ociVersion, id: opts.id, bundle: opts.bundle, annotations: spec.annotations };
  const sc = linux.seccomp;
  const plan: Plan = {
    mode: opts.foreground ? LaunchMode.FOREGROUND : LaunchMode.DETACHED,
    ...namespaces(spec, ns),
    ...maps,
    fifo: opts.fifo,
    consoleSocket: terminal ? opts.consoleSocket : undefined,
    consoleSize: terminal && p.consoleSize ? { rows: p.consoleSize.height, cols: p.consoleSize.width } : undefined,
    ops: ctx.ops,
    process: proc,
    ...initHooks(spec, identity, proc.env),
    idmapMounts: ctx.idmaps,
    seccompListener:
      sc?.listenerPath && opts.seccomp ? { path: sc.listenerPath, payload: seccompAgentPayload(identity, 'creating', sc.listenerMetadata ?? '') } : undefined,
    warnings: ctx.warnings,
    shim: opts.shim,
  };
  // Otherwise tsrun moves the init into its cgroup while it waits, as on v1.
  if (opts.cgroupV2Dir !== undefined && clonedUnseen(plan)) plan.cgroupDir = opts.cgroupV2Dir;
  return plan;
}

/**
 * Hooks around the pivot: prestart and createRuntime run in the runtime while the init waits (a SYNC step),
 * then createContainer runs in the container's namespaces, both once every mount is in place.
 */
function addCreateHooks(ctx: MountCtx): void {
  const h = ctx.spec.hooks ?? {};
  if (h.prestart?.length || h.createRuntime?.length)
    ctx.ops.push(op(OpKind.SYNC, 'run prestart and createRuntime hooks', { a: HookPhase.CREATE_RUNTIME }));
  if (h.createContainer?.length) ctx.ops.push(op(OpKind.HOOKS, 'run createContainer hooks', { a: HookPhase.CREATE_CONTAINER }));
}

/** The hooks the init executes, and their state documents (the init writes its own pid into them). */
function initHooks(
  spec: Spec,
  identity: OciIdentity,
  env: string[],
): { hooks: PlanHook[]; hookStates: Plan['hookStates'] } {
  const hooks: PlanHook[] = [];
  const hookStates: Plan['hookStates'] = [];
  const phases = [
    [HookPhase.CREATE_CONTAINER, 'createContainer', 'created'],
    [HookPhase.START_CONTAINER, 'startContainer', 'running'],
  ] as const;
  for (const [phase, name, status] of phases) {
    const list = spec.hooks?.[name] ?? [];
    if (!list.length) continue;
    for (const hk of list) {
      // Like runc, a hook without env of its own runs with the container process's environment.
      hooks.push({ phase, path: hk.path, args: hk.args?.length ? hk.args : [hk.path], env: hk.env ?? env, timeout: hk.timeout ?? 0 });
    }
    hookStates.push({ phase, ...ociStateTemplate(identity, status) });
  }
  return { hooks, hookStates };
}

/**
 * Whether the init may be cloned straight into its cgroup (CLONE_INTO_CGROUP), holding the directory's fd
 * until its first step: only when nobody can see it at birth, alone in a new pid namespace (no pid namespace
 * joined, nor a cgroup namespace: clone3 refuses a cgroup outside the joined namespace's root). The
 * launcher's plan decoder checks the same.
 */
export function clonedUnseen(plan: Plan): boolean {
  if ((plan.nsNew & namespaceFlag.pid) === 0 || plan.process.flags & ProcessFlag.EXEC) return false;
  return !plan.joins.some((j) => j.type === namespaceFlag.pid || j.type === namespaceFlag.cgroup);
}

/** An id of the container as the host knows it: through the maps of its user namespace, if it has one. */
export function hostId(maps: readonly { containerID: number; hostID: number; size: number }[] | undefined, id: number): number | undefined {
  if (maps === undefined) return id;
  const m = maps.find((x) => id >= x.containerID && id - x.containerID < x.size);
  return m === undefined ? undefined : m.hostID + (id - m.containerID);
}
