/**
 * exec --cgroup (runc 1.1): the exec'd process joins an existing sub-cgroup of the container's cgroup instead
 * of the container's cgroup itself. `--cgroup path` names one sub-path for every hierarchy (the only form on
 * cgroup v2); `--cgroup ctrl[,ctrl...]:path` (repeatable) one per v1 controller, the others keeping the
 * container's directory. Parsing and errors are runc's getSubCgroupPaths and newSetnsProcess.
 */
import { posix } from 'node:path';
import { TsrunError } from '../errors.js';
import type { CgroupPaths } from './types.js';

/** Hierarchies whose join is best effort (v1 name=systemd, misc, the hybrid v2 directory): see v1.ts. */
const BEST_EFFORT = new Set(['name=systemd', 'misc', '']);

/** runc's getSubCgroupPaths: controller ("" for every hierarchy) → sub-path; undefined without --cgroup. */
export function parseSubCgroups(values: string[]): Map<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out = new Map<string, string>();
  for (const c of values) {
    const cs = c.split(':');
    if (cs.length > 2) throw new TsrunError(`invalid --cgroup argument: ${c}`);
    if (cs.length === 1) {
      if (values.length !== 1) throw new TsrunError(`invalid --cgroup argument: ${c} (missing <controller>: prefix)`);
      out.set('', c);
    } else {
      for (const ctrl of cs[0]!.split(',')) out.set(ctrl, cs[1]!);
    }
  }
  return out;
}

/** path.Join(base, add), refused unless it stays at or below base. */
function below(base: string, add: string): string {
  const sub = posix.join(base, add);
  const root = base.replace(/\/+$/, '');
  if (sub !== base && sub !== root && !sub.startsWith(root + '/')) throw new TsrunError(`${add} is not a sub cgroup path`);
  return sub;
}

/**
 * The container's cgroup paths with the process's sub-cgroups in place (runc's cgroupPaths handling). A
 * best-effort hierarchy (name=systemd, misc, hybrid v2) without the sub-cgroup keeps the container's own
 * directory, so the process is never left in tsrun's cgroup there; every other one must have it (joining a
 * missing directory fails, naming it).
 */
export function subCgroupPaths(paths: CgroupPaths, sub: Map<string, string>, isDir: (dir: string) => boolean): CgroupPaths {
  // runc's cgroupPaths: the v1 controllers, and "" alone on a pure v2 host.
  const entries: [string, string][] = Object.keys(paths.v1).length > 0 ? Object.entries(paths.v1) : [];
  if (paths.v2 !== undefined) entries.push(['', paths.v2]);
  const out = new Map(entries);
  const all = sub.get('');
  if (all !== undefined && sub.size === 1) {
    for (const [k, dir] of entries) {
      const target = below(dir, all);
      out.set(k, BEST_EFFORT.has(k) && Object.keys(paths.v1).length > 0 && !isDir(target) ? dir : target);
    }
  } else {
    const original = new Map(entries);
    for (const [ctrl, add] of sub) {
      const dir = original.get(ctrl);
      if (dir === undefined || (ctrl === '' && Object.keys(paths.v1).length > 0)) throw new TsrunError(`unknown controller ${ctrl} in SubCgroupPaths`);
      const target = below(dir, add);
      // Controllers mounted together (cpu,cpuacct) share the directory: the process can be in one place only.
      for (const [k, d] of entries) if (d === dir) out.set(k, target);
    }
  }
  const v2 = out.get('');
  out.delete('');
  return { v1: Object.fromEntries(out), ...(v2 !== undefined ? { v2 } : {}) };
}
