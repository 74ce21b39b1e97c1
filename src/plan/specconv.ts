/**
 * Spec → Plan: pure. Everything config.json names becomes numbers, absolute paths and an ordered filesystem
 * script, including what runc does without being asked (default devices, /dev symlinks, mount points created,
 * sysfs bound when there is no network namespace, cgroup views). Host facts come in as data.
 */
import { posix } from 'node:path';
import { HookPhase, LaunchMode, OpFlag, OpKind, ProcessFlag } from '../native/contract.js';
import { ConfigError } from '../errors.js';
import type { Mount, Spec, SpecProcess } from '../spec/schema.js';
import type { HostFacts } from './host.js';
import type { NsJoin, Plan, PlanHook, PlanOp, PlanProcess } from './plan.js';
import {

  DEFAULT_PATH,
  MS,
  S_IF,
  capabilities,
  defaultDevices,
  joinOrder,
  mountOptionFlags,
  namespaceFlag,
  ioPriorityClasses,
  personalityDomains,
  personalityFlags,
  MOUNT_ATTR,
  PROC_MOUNTABLE,
  propagationFlags,
  recursiveMountOptions,
  rlimits,
  schedulerFlags,
  schedulerPolicies,
  type NamespaceType,
} from './tables.js';

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
  /** linux.seccomp compiled (the compiler is the addon's; specconv stays pure). */
  seccomp?: { program: Buffer; flags: number };
}

const P = posix;

function op(kind: number, what: string, fields: Partial<Omit<PlanOp, 'kind' | 'what'>> = {}): PlanOp {
  return {
    kind,
    flags: fields.flags ?? 0,
    a: fields.a ?? 0,
    b: fields.b ?? 0,
    c: fields.c ?? 0,
    d: fields.d ?? 0,
    s: fields.s ?? ['', '', '', ''],
    what,
  };
}

/** Lexically clean absolute path inside the container. */
export function cleanDest(p: string): string {
  return P.resolve('/', p);
}

export interface ParsedOptions {
  flags: number;
  cleared: number;
  propagation: number;
  data: string[];
  /** Recursive attributes (rro, rnosuid, ...) for mount_setattr(AT_RECURSIVE). */
  recSet: number;
  recClr: number;
  /** "idmap" (false) or "ridmap" (true); undefined when neither was given. */
  idmap?: boolean;
  /** Options recognised but not applied: reported as warnings. */
  unsupported: string[];
}

export function parseMountOptions(options: readonly string[] = []): ParsedOptions {
  const out: ParsedOptions = { flags: 0, cleared: 0, propagation: 0, data: [], recSet: 0, recClr: 0, unsupported: [] };
  for (const o of options) {
    const f = mountOptionFlags[o];
    if (f) {
      if (f.clear) {
        out.flags &= ~f.flag;
        out.cleared |= f.flag;
      } else {
        out.flags |= f.flag;
        out.cleared &= ~f.flag;
      }
      continue;
    }
    const prop = propagationFlags[o];
    if (prop !== undefined) {
      out.propagation = prop;
      continue;
    }
    const rec = recursiveMountOptions[o];
    if (rec) {
      if (rec.clear) {
        out.recClr |= rec.attr;
        out.recSet &= ~rec.attr;
      } else {
        out.recSet |= rec.attr;
        out.recClr &= ~rec.attr;
      }
      // An access-time mode is set by clearing the whole _ATIME field first (mount_setattr(2)).
      if ((rec.attr & MOUNT_ATTR._ATIME) === rec.attr) out.recClr |= MOUNT_ATTR._ATIME;
      continue;
    }
    if (o === 'idmap' || o === 'ridmap') {
      out.idmap = o === 'ridmap';
      continue;
    }
    if (o === 'tmpcopyup') {
      out.unsupported.push(o);
      continue;
    }
    out.data.push(o);
  }
  return out;
}

function capMask(names: readonly string[] | undefined, last: number, grantable: bigint, unknown: Set<string>): bigint {
  let mask = 0n;
  for (const n of names ?? []) {
    const num = capabilities[n];
    // Unknown names, capabilities this kernel lacks, and ones the runtime itself cannot grant (outside its own
    // bounding set) are left out with a warning: the runtime-spec says warn, not fail.
    if (num === undefined || num > last || !(grantable & (1n << BigInt(num)))) {
      unknown.add(n);
      continue;
    }
    mask |= 1n << BigInt(num);
  }
  return mask;
}

const U64_MAX = (1n << 64n) - 1n;

/** JSON numbers cannot carry 2^64-1 exactly: anything that rounds to 2^64 means "unlimited". */
function toU64(v: number): bigint {
  if (v >= 2 ** 64) return U64_MAX;
  return BigInt(Math.trunc(v));
}

/** The env a process runs with, with HOME filled in like runc does. */
export function processEnv(p: SpecProcess, home: string | undefined, extra: string[] = []): string[] {
  const env = [...(p.env ?? []), ...extra];
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${home ?? '/'}`);
  return env;
}

/** exec.LookPath over the container's PATH, as candidate absolute paths tried in order. */
export function exeCandidates(arg0: string, env: readonly string[], cwd: string): string[] {
  if (arg0.includes('/')) return [P.resolve(cwd, arg0)];
  let path: string | undefined;
  for (const e of env) if (e.startsWith('PATH=')) path = e.slice(5);
  const dirs = (path ?? DEFAULT_PATH).split(':');
  const out: string[] = [];
  for (const d of dirs) {
    const c = P.resolve(cwd, d === '' ? '.' : d, arg0);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/** The d field of a mount step: recursive attributes to set | attributes to clear << 32. */
function recAttrs(o: ParsedOptions): bigint {
  return BigInt(o.recSet >>> 0) | (BigInt(o.recClr >>> 0) << 32n);
}

/** A bind's mount(2) flags as mount_setattr attributes, for the idmapped tree the launcher prepares. */
function flagsToAttrs(flags: number): { set: number; clr: number } {
  let set = 0;
  let clr = 0;
  if (flags & MS.RDONLY) set |= MOUNT_ATTR.RDONLY;
  if (flags & MS.NOSUID) set |= MOUNT_ATTR.NOSUID;
  if (flags & MS.NODEV) set |= MOUNT_ATTR.NODEV;
  if (flags & MS.NOEXEC) set |= MOUNT_ATTR.NOEXEC;
  if (flags & MS.NODIRATIME) set |= MOUNT_ATTR.NODIRATIME;
  if (flags & MS.NOSYMFOLLOW) set |= MOUNT_ATTR.NOSYMFOLLOW;
  if (flags & (MS.NOATIME | MS.STRICTATIME | MS.RELATIME)) {
    clr |= MOUNT_ATTR._ATIME;
    if (flags & MS.NOATIME) set |= MOUNT_ATTR.NOATIME;
    else if (flags & MS.STRICTATIME) set |= MOUNT_ATTR.STRICTATIME;
  }
  return { set, clr };
}

function mountWhat(source: string | undefined, type: string | undefined, dest: string): string {
  return `mount "${source || type || 'none'}" on "${dest}"`;
}

interface Ctx {
  idmaps: Plan['idmapMounts'];
  spec: Spec;
  opts: ConvertOptions;
  host: HostFacts;
  ops: PlanOp[];
  finalize: PlanOp[];
  warnings: string[];
  ns: Map<NamespaceType, { path?: string }>;
}

function isBind(m: Mount, flags: number): boolean {
  return m.type === 'bind' || (flags & MS.BIND) !== 0;
}

function addMount(ctx: Ctx, m: Mount, index: number): void {
  const dest = cleanDest(m.destination);
  const o = parseMountOptions(m.options);
  for (const u of o.unsupported) ctx.warnings.push(`mounts[${index}]: option "${u}" is not supported yet and was ignored`);
  const type = m.type;
  if (o.idmap !== undefined || m.uidMappings?.length || m.gidMappings?.length) {
    addIdmapBind(ctx, m, dest, o, index);
    return;
  }
  const hasNet = ctx.ns.has('network');
  const userNs = ctx.ns.has('user');

  if (isBind(m, o.flags)) {
    let source = m.source ?? '';
    if (!source.startsWith('/')) source = P.resolve(ctx.opts.bundle, source);
    addBind(ctx, source, dest, o);
    return;
  }
  if (type === 'sysfs' && !hasNet) {
    // Without its own network namespace a container cannot mount sysfs: runc binds the host's /sys.
    addBind(ctx, '/sys', dest, { ...o, flags: o.flags | MS.BIND | MS.REC });
    return;
  }
  if (type === 'mqueue' && userNs && !ctx.ns.has('ipc')) {
    addBind(ctx, '/dev/mqueue', dest, { ...o, flags: o.flags | MS.BIND | MS.REC });
    return;
  }
  if (type === 'cgroup') {
    addCgroupMount(ctx, dest, o, index);
    return;
  }
  let flags = o.flags;
  // tmpfs and /dev stay writable until everything below them exists; they turn read-only at the end.
  if ((type === 'tmpfs' || dest === '/dev') && flags & MS.RDONLY) {
    flags &= ~MS.RDONLY;
    ctx.finalize.push(op(OpKind.REMOUNT_RO, `remount "${dest}" read-only`, { a: flags & ~MS.REMOUNT, s: [dest, '', '', ''] }));
  }
  const special = type === 'proc' || type === 'sysfs';
  // SELinux hosts: non-bind mounts carry the container's mount label (runc's FormatMountLabel).
  const label = ctx.spec.linux?.mountLabel;
  if (label && ctx.host.selinuxEnabled && !special) o.data.push(`context="${label}"`);
  ctx.ops.push(
    op(OpKind.MOUNT, mountWhat(m.source, type, dest), {
      flags: OpFlag.MK_DIR | (special ? OpFlag.NO_SYMLINK : 0) | (type === 'proc' ? OpFlag.PROC_ALLOWED : 0),
      a: flags,
      c: o.propagation,
      d: recAttrs(o),
      s: [m.source ?? '', dest, type ?? '', o.data.join(',')],
    }),
  );
}

/**
 * An idmapped bind mount: the launcher, still in the initial user namespace, makes a detached copy of the
 * source mapped through the mount's ids (or the container's, for a bare "idmap" option); the init attaches it.
 */
function addIdmapBind(ctx: Ctx, m: Mount, dest: string, o: ParsedOptions, index: number): void {
  const linux = ctx.spec.linux ?? {};
  const uidMaps = m.uidMappings?.length ? m.uidMappings : (linux.uidMappings ?? []);
  const gidMaps = m.gidMappings?.length ? m.gidMappings : (linux.gidMappings ?? []);
  if (!isBind(m, o.flags)) throw new ConfigError('config.json', [`mounts[${index}]: idmapped mounts are only supported for bind mounts`]);
  if (!uidMaps.length || !gidMaps.length)
    throw new ConfigError('config.json', [`mounts[${index}]: an idmapped mount needs uid and gid mappings (of the mount or of the container)`]);
  let source = m.source ?? '';
  if (!source.startsWith('/')) source = P.resolve(ctx.opts.bundle, source);
  const { set, clr } = flagsToAttrs(o.flags);
  const slot = ctx.idmaps.length;
  ctx.idmaps.push({ index: slot, source, recursive: o.idmap === true || (o.flags & MS.REC) !== 0, attrSet: set, attrClr: clr, uidMaps, gidMaps });
  const kind = ctx.host.pathKind(source);
  ctx.ops.push(
    op(OpKind.IDMAP_BIND, `idmapped ${mountWhat(source, 'bind', dest)}`, {
      flags: kind === 'file' ? OpFlag.MK_FILE : OpFlag.MK_DIR,
      b: slot,
      c: o.propagation,
      d: recAttrs(o),
      s: ['', dest, '', ''],
    }),
  );
}

function addBind(ctx: Ctx, source: string, dest: string, o: ParsedOptions): void {
  const kind = ctx.host.pathKind(source);
  const rest = o.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
  const remount = rest !== 0 || o.cleared !== 0 ? (o.flags & ~(MS.BIND | MS.REC)) | MS.REMOUNT : 0;
  ctx.ops.push(
    op(OpKind.MOUNT, mountWhat(source, 'bind', dest), {
      flags: (kind === 'file' ? OpFlag.MK_FILE : OpFlag.MK_DIR) | (PROC_MOUNTABLE.has(dest) ? OpFlag.PROC_ALLOWED : 0),
      a: MS.BIND | (o.flags & MS.REC),
      b: remount,
      c: o.propagation,
      d: recAttrs(o),
      s: [source, dest, '', ''],
    }),
  );
}

function addCgroupMount(ctx: Ctx, dest: string, o: ParsedOptions, index: number): void {
  const cg = ctx.host.cgroup;
  const cgroupNs = ctx.ns.has('cgroup');
  if (cg.v1.length === 0) {
    if (!cg.v2) {
      ctx.warnings.push(`mounts[${index}]: no cgroup hierarchy on this host; "${dest}" left empty`);
      return;
    }
    if (ctx.ns.has('user') && !cgroupNs) {
      addBind(ctx, cg.v2.mountpoint, dest, { ...o, flags: o.flags | MS.BIND | MS.REC });
      return;
    }
    ctx.ops.push(
      op(OpKind.MOUNT, mountWhat('cgroup', 'cgroup2', dest), {
        flags: OpFlag.MK_DIR,
        a: o.flags,
        c: o.propagation,
        s: ['cgroup', dest, 'cgroup2', ''],
      }),
    );
    return;
  }
  // v1: a tmpfs holding one directory per hierarchy, each the container's own cgroup (like runc).
  const base = MS.NOEXEC | MS.NOSUID | MS.NODEV;
  ctx.ops.push(
    op(OpKind.MOUNT, mountWhat('tmpfs', 'tmpfs', dest), {
      flags: OpFlag.MK_DIR,
      a: base,
      c: o.propagation,
      s: ['tmpfs', dest, 'tmpfs', 'mode=755'],
    }),
  );
  for (const h of cg.v1) {
    const name = P.basename(h.mountpoint);
    const sub = `${dest}/${name}`;
    if (cgroupNs) {
      const isSystemd = name === 'systemd';
      ctx.ops.push(
        op(OpKind.MOUNT, mountWhat('cgroup', 'cgroup', sub), {
          flags: OpFlag.MK_DIR,
          a: base | (o.flags & MS.RDONLY),
          s: [isSystemd ? 'systemd' : 'cgroup', sub, 'cgroup', isSystemd ? 'none,name=systemd' : h.subsystems.join(',')],
        }),
      );
    } else {
      addBind(ctx, h.path, sub, { ...o, flags: o.flags | MS.BIND | MS.REC });
    }
    if (name.includes(',')) {
      for (const ss of name.split(','))
        ctx.ops.push(op(OpKind.SYMLINK, `symlink "${dest}/${ss}"`, { s: [name, `${dest}/${ss}`, '', ''] }));
    }
  }
}

function addDevices(ctx: Ctx): void {
  const spec = ctx.spec;
  const devs: { path: string; type: string; major: number; minor: number; mode: number; uid: number; gid: number }[] = [];
  for (const d of spec.linux?.devices ?? []) {
    devs.push({
      path: cleanDest(d.path),
      type: d.type,
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      mode: d.fileMode ?? 0o666,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
    });
  }
  for (const d of defaultDevices) {
    if (!devs.some((x) => x.path === d.path)) devs.push({ ...d, mode: 0o666, uid: 0, gid: 0 });
  }
  const bind = ctx.ns.has('user');
  for (const d of devs) {
    if (d.path === '/dev/ptmx') continue; // /dev/ptmx is always the link to pts/ptmx
    if (bind) {
      // mknod is not allowed in a user namespace: bind the host's node instead.
      ctx.ops.push(
        op(OpKind.MOUNT, `bind device "${d.path}"`, { flags: OpFlag.MK_FILE, a: MS.BIND, s: [d.path, d.path, '', ''] }),
      );
      continue;
    }
    const typeBits = d.type === 'b' ? S_IF.BLK : d.type === 'p' ? S_IF.FIFO : S_IF.CHR;
    ctx.ops.push(
      op(OpKind.MKNOD, `create device "${d.path}"`, {
        a: typeBits | (d.mode & 0o7777),
        b: d.major,
        c: d.minor,
        d: (BigInt(d.uid) << 32n) | BigInt(d.gid),
        s: [d.path, '', '', ''],
      }),
    );
  }
  ctx.ops.push(op(OpKind.UNLINK, 'remove "/dev/ptmx"', { s: ['/dev/ptmx', '', '', ''] }));
  const links: [string, string][] = [
    ['pts/ptmx', '/dev/ptmx'],
    ['/proc/self/fd', '/dev/fd'],
    ['/proc/self/fd/0', '/dev/stdin'],
    ['/proc/self/fd/1', '/dev/stdout'],
    ['/proc/self/fd/2', '/dev/stderr'],
  ];
  if (ctx.host.hasKcore) links.push(['/proc/kcore', '/dev/core']);
  for (const [target, link] of links) ctx.ops.push(op(OpKind.SYMLINK, `symlink "${link}"`, { s: [target, link, '', ''] }));
}

function convertProcess(ctx: Ctx, p: SpecProcess): PlanProcess {
  const { opts, host } = ctx;
  const env = processEnv(p, opts.home, opts.extraEnv);
  const cwd = p.cwd;
  const arg0 = p.args[0]!;
  const user = p.user ?? { uid: 0, gid: 0 };
  let flags = 0;
  if (p.noNewPrivileges) flags |= ProcessFlag.NO_NEW_PRIVS;
  if (p.terminal) flags |= ProcessFlag.TERMINAL;
  if (!opts.noNewKeyring) flags |= ProcessFlag.NEW_KEYRING;
  flags |= ProcessFlag.SETGROUPS;
  if (opts.foreground) flags |= ProcessFlag.SUBREAPER;
  if (ctx.ns.has('cgroup') && ctx.ns.get('cgroup')!.path === undefined) flags |= ProcessFlag.NEW_CGROUPNS;
  let caps: PlanProcess['caps'];
  if (p.capabilities) {
    const unknown = new Set<string>();
    const last = host.capLastCap;
    const c = p.capabilities;
    const g = host.capBounding;
    caps = {
      bounding: capMask(c.bounding, last, g, unknown),
      effective: capMask(c.effective, last, g, unknown),
      permitted: capMask(c.permitted, last, g, unknown),
      inheritable: capMask(c.inheritable, last, g, unknown),
      ambient: capMask(c.ambient, last, g, unknown),
      last,
    };
    if (unknown.size) ctx.warnings.push(`ignoring unknown or unavailable capabilities: [${[...unknown].sort().join(' ')}]`);
  }
  let personality: number | undefined;
  const pers = ctx.spec.linux?.personality;
  if (pers) {
    personality = personalityDomains[pers.domain]!;
    for (const f of pers.flags ?? []) {
      const v = personalityFlags[f];
      if (v === undefined) ctx.warnings.push(`linux.personality.flags: unknown flag "${f}" ignored`);
      else personality |= v;
    }
  }
  let scheduler: PlanProcess['scheduler'];
  if (p.scheduler) {
    const sc = p.scheduler;
    scheduler = {
      policy: schedulerPolicies[sc.policy]!,
      flags: (sc.flags ?? []).reduce((acc, f) => acc | schedulerFlags[f]!, 0),
      nice: sc.nice ?? 0,
      priority: sc.priority ?? 0,
      runtime: sc.runtime ?? 0,
      deadline: sc.deadline ?? 0,
      period: sc.period ?? 0,
    };
  }
  const ioPriority = p.ioPriority ? (ioPriorityClasses[p.ioPriority.class]! << 13) | (p.ioPriority.priority ?? 0) : undefined;
  return {
    args: p.args,
    env,
    exe: exeCandidates(arg0, env, cwd),
    personality,
    scheduler,
    ioPriority,
    apparmorProfile: p.apparmorProfile || undefined,
    selinuxLabel: p.selinuxLabel || undefined,
    seccomp: opts.seccomp,
    cwd,
    uid: user.uid,
    gid: user.gid,
    umask: user.umask,
    groups: user.additionalGids ?? [],
    caps,
    rlimits: (p.rlimits ?? []).map((r) => ({
      resource: rlimits[r.type]!,
      soft: toU64(r.soft),
      hard: toU64(r.hard),
      name: r.type,
    })),
    flags,
    keyring: opts.noNewKeyring ? undefined : `_ses.${opts.id}`,
    preserveFds: opts.preserveFds,
    oomScoreAdj: p.oomScoreAdj,
  };
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

export function specToPlan(spec: Spec, opts: ConvertOptions, host: HostFacts): Plan {
  const p = spec.process!;
  const linux = spec.linux ?? {};
  const ns = new Map<NamespaceType, { path?: string }>();
  for (const n of linux.namespaces ?? []) ns.set(n.type, { path: n.path });
  const ctx: Ctx = { spec, opts, host, ops: [], finalize: [], warnings: [], ns, idmaps: [] };
  const unapplied = unappliedFields(spec);
  if (unapplied.length) ctx.warnings.push(`not applied by this version of tsrun: ${unapplied.join(', ')}`);

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
    const off = linux.timeOffsets ?? {};
    timeOffsets = {
      boottime: [off.boottime?.secs ?? 0, off.boottime?.nanosecs ?? 0],
      monotonic: [off.monotonic?.secs ?? 0, off.monotonic?.nanosecs ?? 0],
    };
  }

  const rootfs = P.resolve(opts.bundle, spec.root!.path);
  const hasMountNs = ns.has('mount');
  const ops = ctx.ops;
  const terminal = p.terminal === true;

  if (hasMountNs) {
    const rp = linux.rootfsPropagation;
    const rpFlags = rp ? propagationFlags[rp]! : 0;
    // The namespace's "/" takes the requested propagation first (rshared keeps the host's peer groups, so
    // that mounts under shared volumes propagate both ways, as with docker's rshared binds); the default
    // keeps every mount of the container away from the host. The rootfs's own mount is made private (slave
    // with a slave root) so that binding it and pivot_root work whatever "/" is.
    ops.push(op(OpKind.MOUNT, `set "/" propagation`, { flags: OpFlag.TGT_HOST, c: rpFlags || MS.SLAVE | MS.REC, s: ['', '/', '', ''] }));
    ops.push(
      op(OpKind.PARENT_PROPAGATION, `make the mount of "${rootfs}" private`, {
        a: rpFlags & MS.SLAVE ? MS.SLAVE : MS.PRIVATE,
        s: [rootfs, '', '', ''],
      }),
    );
    ops.push(
      op(OpKind.MOUNT, `bind rootfs "${rootfs}"`, {
        flags: OpFlag.TGT_HOST,
        a: MS.BIND | MS.REC,
        s: [rootfs, rootfs, '', ''],
      }),
    );
    ops.push(op(OpKind.OPEN_ROOT, `open rootfs "${rootfs}"`, { s: [rootfs, '', '', ''] }));
    (spec.mounts ?? []).forEach((m, i) => addMount(ctx, m, i));
    const devBound = (spec.mounts ?? []).some((m) => {
      const o = parseMountOptions(m.options);
      return isBind(m, o.flags) && cleanDest(m.destination) === '/dev';
    });
    if (!devBound) addDevices(ctx);
    addCreateHooks(ctx);
    ops.push(
      op(OpKind.PIVOT, opts.noPivot ? `move root to "${rootfs}"` : `pivot_root to "${rootfs}"`, {
        flags: opts.noPivot ? OpFlag.NO_PIVOT : 0,
      }),
    );
    if (rpFlags) ops.push(op(OpKind.MOUNT, `set root propagation "${rp}"`, { flags: OpFlag.TGT_HOST, c: rpFlags, s: ['', '/', '', ''] }));
  } else {
    if (spec.mounts?.length) ctx.warnings.push('mounts are ignored: the container has no mount namespace');
    if (spec.root!.readonly) ctx.warnings.push('root.readonly is ignored: the container has no mount namespace');
    ops.push(op(OpKind.OPEN_ROOT, `open rootfs "${rootfs}"`, { s: [rootfs, '', '', ''] }));
    addCreateHooks(ctx);
    ops.push(op(OpKind.CHROOT, `chroot to "${rootfs}"`));
  }
  ops.push(op(OpKind.MKDIR, `create cwd "${p.cwd}"`, { a: 0o755, s: [p.cwd, '', '', ''] }));
  if (terminal) {
    ops.push(
      op(OpKind.CONSOLE, 'set up the console', { s: ['/dev/ptmx', '', hasMountNs ? '/dev/console' : '', ''] }),
    );
  }
  ops.push(...ctx.finalize);
  if (spec.root!.readonly && hasMountNs) ops.push(op(OpKind.REMOUNT_RO, 'remount "/" read-only', { s: ['/', '', '', ''] }));
  if (spec.hostname) ops.push(op(OpKind.HOSTNAME, `sethostname "${spec.hostname}"`, { s: [spec.hostname, '', '', ''] }));
  if (spec.domainname)
    ops.push(op(OpKind.DOMAINNAME, `setdomainname "${spec.domainname}"`, { s: [spec.domainname, '', '', ''] }));
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    const path = `/proc/sys/${key.replace(/\./g, '/')}`;
    ops.push(op(OpKind.SYSCTL, `write sysctl "${key}"`, { s: [path, value, '', ''] }));
  }
  for (const path of linux.readonlyPaths ?? [])
    ops.push(op(OpKind.READONLY, `make "${path}" read-only`, { s: [path, '', '', ''] }));
  for (const path of linux.maskedPaths ?? []) ops.push(op(OpKind.MASK, `mask "${path}"`, { s: [path, '', '', ''] }));

  const uidMaps = ns.has('user') && ns.get('user')!.path === undefined ? (linux.uidMappings ?? []) : [];
  const gidMaps = ns.has('user') && ns.get('user')!.path === undefined ? (linux.gidMappings ?? []) : [];

  const proc = convertProcess(ctx, p);
  let consoleSize: Plan['consoleSize'];
  if (terminal && p.consoleSize) consoleSize = { rows: p.consoleSize.height, cols: p.consoleSize.width };

  const { hooks, hookStates } = initHooks(spec, opts, proc.env);

  return {
    mode: opts.foreground ? LaunchMode.FOREGROUND : LaunchMode.DETACHED,
    nsNew,
    joins,
    timeOffsets,
    uidMaps,
    gidMaps,
    setgroupsDeny: false,
    fifo: opts.fifo,
    consoleSocket: terminal ? opts.consoleSocket : undefined,
    consoleSize,
    ops,
    process: proc,
    hooks,
    hookStates,
    idmapMounts: ctx.idmaps,
    seccompListener: seccompListener(spec, opts),
    warnings: ctx.warnings,
  };
}

/**
 * The seccomp agent's payload, runc's ContainerProcessState: {ociVersion, fds, pid, metadata, state}; the init
 * writes its pid (as the runtime sees it) into both places.
 */
function seccompListener(spec: Spec, opts: ConvertOptions, status = 'creating'): Plan['seccompListener'] {
  const sc = spec.linux?.seccomp;
  if (!sc?.listenerPath || !opts.seccomp) return undefined;
  const v = JSON.stringify(spec.ociVersion);
  const annotations = spec.annotations && Object.keys(spec.annotations).length ? `,"annotations":${JSON.stringify(spec.annotations)}` : '';
  return {
    path: sc.listenerPath,
    payload: [
      `{"ociVersion":${v},"fds":["seccompFd"],"pid":`,
      `,"metadata":${JSON.stringify(sc.listenerMetadata ?? '')},"state":{"ociVersion":${v},"id":${JSON.stringify(opts.id)},"status":${JSON.stringify(status)},"pid":`,
      `,"bundle":${JSON.stringify(opts.bundle)}${annotations}}}`,
    ],
  };
}

/**
 * Hooks around the pivot: prestart and createRuntime run in the runtime while the init waits (a SYNC step),
 * then createContainer runs in the container's namespaces, both once every mount is in place.
 */
function addCreateHooks(ctx: Ctx): void {
  const h = ctx.spec.hooks ?? {};
  if (h.prestart?.length || h.createRuntime?.length)
    ctx.ops.push(op(OpKind.SYNC, 'run prestart and createRuntime hooks', { a: HookPhase.CREATE_RUNTIME }));
  if (h.createContainer?.length)
    ctx.ops.push(op(OpKind.HOOKS, 'run createContainer hooks', { a: HookPhase.CREATE_CONTAINER }));
}

/** The hooks the init executes, and their state documents (the init writes its own pid into them). */
function initHooks(spec: Spec, opts: ConvertOptions, env: string[]): { hooks: PlanHook[]; hookStates: Plan['hookStates'] } {
  const hooks: PlanHook[] = [];
  const hookStates: Plan['hookStates'] = [];
  const phases: [number, 'createContainer' | 'startContainer', string][] = [
    [HookPhase.CREATE_CONTAINER, 'createContainer', 'created'],
    [HookPhase.START_CONTAINER, 'startContainer', 'running'],
  ];
  for (const [phase, name, status] of phases) {
    const list = spec.hooks?.[name] ?? [];
    if (!list.length) continue;
    for (const hk of list) {
      // Like runc, a hook without env of its own runs with the container process's environment.
      hooks.push({ phase, path: hk.path, args: hk.args?.length ? hk.args : [hk.path], env: hk.env ?? env, timeout: hk.timeout ?? 0 });
    }
    const head = JSON.stringify({ ociVersion: spec.ociVersion, id: opts.id, status });
    const tail = JSON.stringify({
      bundle: opts.bundle,
      ...(spec.annotations && Object.keys(spec.annotations).length ? { annotations: spec.annotations } : {}),
    });
    hookStates.push({ phase, before: `${head.slice(0, -1)},"pid":`, after: `,${tail.slice(1)}` });
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

/** What exec needs to know of the running container, gathered by the runtime (impure) side. */
export interface ExecTarget {
  id: string;
  bundle: string;
  /** The namespaces to join, as files (/proc/<init>/ns/<type>): those of the init that differ from tsrun's. */
  joins: NsJoin[];
  /** The container's root as the host sees it: /proc/<init>/root. */
  root: string;
  /** setgroups(2) is allowed in the container's user namespace ("deny" not written). */
  setgroups: boolean;
  /** The container was created with --no-new-keyring. */
  noNewKeyring: boolean;
}

export interface ExecOptions {
  detach: boolean;
  consoleSocket?: string;
  preserveFds: number;
  home?: string;
  seccomp?: { program: Buffer; flags: number };
}

/**
 * exec: a plan for a process that joins a running container. `spec` is the container's config with
 * `process` replaced by the exec's. No namespace is made and no filesystem is set up: the launcher joins the
 * container's namespaces, the process chroots into the container's root (so a --no-pivot container works too),
 * takes its terminal from the container's devpts, and executes with its own user, capabilities, rlimits,
 * no_new_privs and LSM labels, under the container's seccomp filter.
 */
export function execToPlan(spec: Spec, target: ExecTarget, opts: ExecOptions, host: HostFacts): Plan {
  const p = spec.process!;
  const convert: ConvertOptions = {
    id: target.id,
    bundle: target.bundle,
    fifo: '',
    foreground: !opts.detach,
    noPivot: false,
    noNewKeyring: target.noNewKeyring,
    consoleSocket: opts.consoleSocket,
    preserveFds: opts.preserveFds,
    home: opts.home,
    seccomp: opts.seccomp,
  };
  const ctx: Ctx = { spec, opts: convert, host, ops: [], finalize: [], warnings: [], ns: new Map(), idmaps: [] };
  const terminal = p.terminal === true;
  const ops: PlanOp[] = [op(OpKind.CHROOT, "enter the container's root")];
  if (terminal) ops.push(op(OpKind.CONSOLE, 'set up the terminal', { s: ['/dev/ptmx', '', '', ''] }));
  const proc = convertProcess(ctx, p);
  proc.flags &= ~(ProcessFlag.SUBREAPER | ProcessFlag.NEW_CGROUPNS | (target.setgroups ? 0 : ProcessFlag.SETGROUPS));
  proc.flags |= ProcessFlag.EXEC;
  return {
    mode: opts.detach ? LaunchMode.DETACHED : LaunchMode.FOREGROUND,
    nsNew: 0,
    joins: target.joins,
    uidMaps: [],
    gidMaps: [],
    setgroupsDeny: false,
    fifo: '',
    consoleSocket: terminal ? opts.consoleSocket : undefined,
    consoleSize: terminal && p.consoleSize ? { rows: p.consoleSize.height, cols: p.consoleSize.width } : undefined,
    ops,
    process: proc,
    hooks: [],
    hookStates: [],
    execRoot: target.root,
    idmapMounts: [],
    seccompListener: seccompListener(spec, convert, 'running'),
    warnings: ctx.warnings,
  };
}
