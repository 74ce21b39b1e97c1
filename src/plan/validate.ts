/**
 * Semantic checks of a schema-valid spec that need no host access: what runc would only find out while
 * creating the container. Each problem names its JSON path. Host-dependent checks live in runtime/check.ts.
 */
import { posix } from 'node:path';
import type { Spec } from '../spec/schema.js';
import { PROC_MOUNTABLE } from './tables.js';

const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** runc's rule: only sysctls of a namespace the container has of its own can be set. */
export function sysctlProblem(rawKey: string, has: (ns: string) => boolean): string | undefined {
  const key = rawKey.replace(/\//g, '.');
  const where = `linux.sysctl[${JSON.stringify(rawKey)}]`;
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.'))
    return has('ipc') ? undefined : `${where}: not allowed in the host's ipc namespace`;
  if (key.startsWith('net.')) return has('network') ? undefined : `${where}: not allowed in the host's network namespace`;
  if (key === 'kernel.domainname' && has('uts')) return undefined;
  if (key === 'kernel.hostname' && has('uts')) return `${where}: conflicts with the "hostname" field`;
  return `${where}: not in a separate kernel namespace`;
}

/**
 * runc's checkProcMount by path: on /proc only proc (or a bind, of the host's procfs as runc requires), under it
 * nothing but the files lxcfs emulates. (Where a destination leads through symlinks of the rootfs is checked
 * again when the mount is made.)
 */
function procMountProblem(m: { destination: string; type?: string; options?: string[] }): string | undefined {
  const dest = posix.resolve('/', m.destination);
  const bind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
  if (dest === '/proc') return m.type === 'proc' || bind ? undefined : `"${dest}" cannot be mounted because it is not of type proc`;
  if (dest.startsWith('/proc/') && !PROC_MOUNTABLE.has(dest)) return `"${dest}" cannot be mounted because it is inside /proc`;
  return undefined;
}

export function semanticProblems(spec: Spec, host: { selinuxEnabled?: boolean } = {}): string[] {
  const problems: string[] = [];
  const linux = spec.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const has = (t: string) => namespaces.some((n) => n.type === t);
  const seen = new Map<string, number>();
  namespaces.forEach((ns, i) => {
    const prev = seen.get(ns.type);
    if (prev !== undefined) problems.push(`linux.namespaces[${i}].type: duplicate namespace "${ns.type}" (also at [${prev}])`);
    else seen.set(ns.type, i);
    if (ns.path !== undefined && !ns.path.startsWith('/'))
      problems.push(`linux.namespaces[${i}].path: must be an absolute path`);
  });

  if (!spec.process) problems.push('process: Required (a container needs a process to run)');
  if (!spec.root) problems.push('root: Required on Linux');

  const userNs = namespaces.find((n) => n.type === 'user');
  const newUserNs = userNs !== undefined && userNs.path === undefined;
  if (newUserNs) {
    if (!linux.uidMappings?.length) problems.push('linux.uidMappings: a new user namespace needs uid mappings');
    if (!linux.gidMappings?.length) problems.push('linux.gidMappings: a new user namespace needs gid mappings');
  } else {
    if (linux.uidMappings?.length) problems.push('linux.uidMappings: uid mappings need a new user namespace');
    if (linux.gidMappings?.length) problems.push('linux.gidMappings: gid mappings need a new user namespace');
  }

  if (spec.hostname && !has('uts')) problems.push('hostname: setting the hostname needs a uts namespace');
  if (spec.domainname && !has('uts')) problems.push('domainname: setting the domainname needs a uts namespace');

  // Without a mount namespace, mounts and a read-only root are ignored with a warning (runc would make the
  // mounts in the caller's namespace, where they outlive the container); masking paths cannot be ignored.
  const mountNs = has('mount');
  if (!mountNs) {
    if (linux.maskedPaths?.length) problems.push('linux.maskedPaths: masking paths needs a mount namespace');
    if (linux.readonlyPaths?.length) problems.push('linux.readonlyPaths: read-only paths need a mount namespace');
  }

  const time = namespaces.find((n) => n.type === 'time');
  if (linux.timeOffsets && Object.keys(linux.timeOffsets).length && (time === undefined || time.path !== undefined))
    problems.push('linux.timeOffsets: time offsets need a new time namespace');

  for (const key of Object.keys(linux.sysctl ?? {})) {
    const problem = sysctlProblem(key, has);
    if (problem) problems.push(problem);
  }

  if (spec.process?.selinuxLabel && host.selinuxEnabled === false)
    problems.push('process.selinuxLabel: a SELinux label is set, but SELinux is disabled or not supported on this host');

  (spec.mounts ?? []).forEach((m, i) => {
    if (m.type === 'bind' || m.options?.some((o) => o === 'bind' || o === 'rbind')) {
      if (!m.source) problems.push(`mounts[${i}].source: a bind mount needs a source`);
    }
    const inProc = procMountProblem(m);
    if (inProc) problems.push(`mounts[${i}].destination: ${inProc}`);
  });

  // process.consoleSize is 16-bit in the schema itself.
  return problems;
}
