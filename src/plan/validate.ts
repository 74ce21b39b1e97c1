/**
 * Semantic checks of a schema-valid spec that need no host access: what runc would only find out while
 * creating the container. Each problem names its JSON path. Host-dependent checks live in runtime/check.ts.
 */
import type { Spec } from '../spec/schema.js';

export function semanticProblems(spec: Spec): string[] {
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

  (spec.mounts ?? []).forEach((m, i) => {
    if (m.type === 'bind' || m.options?.some((o) => o === 'bind' || o === 'rbind')) {
      if (!m.source) problems.push(`mounts[${i}].source: a bind mount needs a source`);
    }
  });

  const p = spec.process;
  if (p) {
    if (p.terminal && p.consoleSize && (p.consoleSize.height > 0xffff || p.consoleSize.width > 0xffff))
      problems.push('process.consoleSize: larger than a terminal can be');
  }
  return problems;
}
