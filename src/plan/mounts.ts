/**
 * Mounts of a new container: config.json's mounts and what runc does without being asked (mount points made,
 * sysfs bound when there is no network namespace, cgroup views, idmapped binds, default devices and the /dev
 * symlinks), as filesystem steps. Pure: host facts come in as data.
 */
import { OpFlag, OpKind } from '../native/contract.js';
import { ConfigError } from '../errors.js';
import type { Mount, Spec } from '../spec/schema.js';
import type { HostFacts } from './host.js';
import type { Plan, PlanOp } from './plan.js';
import { P, cleanDest, op } from './ops.js';
import { MS, MOUNT_ATTR, PROC_MOUNTABLE, S_IF, defaultDevices, mountOptionFlags, propagationFlags, recursiveMountOptions, type NamespaceType } from './tables.js';

/** What the mount steps are built from and into. */
export interface MountCtx {
  spec: Spec;
  /** Absolute bundle directory: relative bind sources resolve against it. */
  bundle: string;
  host: HostFacts;
  ns: Map<NamespaceType, { path?: string }>;
  ops: PlanOp[];
  /** Steps that run once everything else exists (tmpfs and /dev turning read-only). */
  finalize: PlanOp[];
  idmaps: Plan['idmapMounts'];
  warnings: string[];
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


export function isBind(m: Mount, flags: number): boolean {
  return m.type === 'bind' || (flags & MS.BIND) !== 0;
}

function addMount(ctx: MountCtx, m: Mount, index: number): void {
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
    if (!source.startsWith('/')) source = P.resolve(ctx.bundle, source);
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
function addIdmapBind(ctx: MountCtx, m: Mount, dest: string, o: ParsedOptions, index: number): void {
  const linux = ctx.spec.linux ?? {};
  const uidMaps = m.uidMappings?.length ? m.uidMappings : (linux.uidMappings ?? []);
  const gidMaps = m.gidMappings?.length ? m.gidMappings : (linux.gidMappings ?? []);
  if (!isBind(m, o.flags)) throw new ConfigError('config.json', [`mounts[${index}]: idmapped mounts are only supported for bind mounts`]);
  if (!uidMaps.length || !gidMaps.length)
    throw new ConfigError('config.json', [`mounts[${index}]: an idmapped mount needs uid and gid mappings (of the mount or of the container)`]);
  let source = m.source ?? '';
  if (!source.startsWith('/')) source = P.resolve(ctx.bundle, source);
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

function addBind(ctx: MountCtx, source: string, dest: string, o: ParsedOptions): void {
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

function addCgroupMount(ctx: MountCtx, dest: string, o: ParsedOptions, index: number): void {
  const cg = ctx.host.cgroup;
  const cgroupNs = ctx.ns.has('cgroup');
  if (cg.v1.length === 0) {
    if (!cg.v2) {
      ctx.warnings.push(`mounts[${index}]: no cgroup hierarchy on this host; "${dest}" left empty`);
      return;
    }
    // In a user namespace (the container's, or tsrun's own) cgroup2 cannot be mounted as asked: without a
    // cgroup namespace the kernel refuses (EPERM), with one a read-only mount of its single superblock is busy
    // (EBUSY). The host's tree is bound instead: with a cgroup namespace only the container's own cgroup, which
    // is what a mount from inside that namespace would show (runc falls back the same way).
    if (ctx.ns.has('user') || ctx.host.inUserNs === true) {
      addBind(ctx, cgroupNs ? cg.v2.path : cg.v2.mountpoint, dest, { ...o, flags: o.flags | MS.BIND | MS.REC });
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

function addDevices(ctx: MountCtx): void {
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
  const bind = ctx.ns.has('user') || ctx.host.inUserNs === true;
  for (const d of devs) {
    if (d.path === '/dev/ptmx') continue; // /dev/ptmx is always the link to pts/ptmx
    if (bind) {
      // mknod is not allowed in a user namespace (the container's, or tsrun's own): bind the host's node.
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

/** config.json's mounts in order, then the default devices unless /dev is a bind mount of its own. */
export function addMounts(ctx: MountCtx): void {
  const mounts = ctx.spec.mounts ?? [];
  mounts.forEach((m, i) => addMount(ctx, m, i));
  const devBound = mounts.some((m) => isBind(m, parseMountOptions(m.options).flags) && cleanDest(m.destination) === '/dev');
  if (!devBound) addDevices(ctx);
}
