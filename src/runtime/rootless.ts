/**
 * Running as an ordinary user (or as root of a user namespace, as under rootless Podman): where the state
 * lives, and whether cgroups are optional. runc's rules, so that callers that work with runc work with tsrun.
 */
import { join } from 'node:path';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { TsrunError, describeNodeError } from '../errors.js';
import { inUserNamespace } from '../plan/host.js';

const euid = () => process.geteuid?.() ?? 0;

/**
 * $XDG_RUNTIME_DIR is the user's place for state when tsrun is not real root: not root at all, or root of a user
 * namespace unless USER says root (rootless Podman runs the runtime there; runc's shouldHonorXDGRuntimeDir).
 */
export function honoursXdgRuntimeDir(env: NodeJS.ProcessEnv = process.env, uid = euid(), inUserNs = inUserNamespace): boolean {
  if (uid !== 0) return true;
  if (!inUserNs()) return false;
  return env.USER !== 'root';
}

export const SYSTEM_ROOT = '/run/tsrun';

/** --root when none is given: $XDG_RUNTIME_DIR/tsrun for a user (when set), /run/tsrun otherwise (as runc). */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env, uid = euid(), inUserNs = inUserNamespace): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && honoursXdgRuntimeDir(env, uid, inUserNs)) return join(xdg, 'tsrun');
  return SYSTEM_ROOT;
}

/**
 * --rootless: true or false as given; auto (or absent) means rootless cgroups for anyone but real root (runc's
 * shouldUseRootlessCgroupManager without systemd). Rootless cgroups are optional: a cgroup that cannot be made is
 * left out unless limits need it.
 */
export function rootlessCgroups(flag: string | undefined, uid = euid(), inUserNs = inUserNamespace): boolean {
  if (flag === undefined || flag === 'auto') return uid !== 0 || inUserNs();
  // The spellings Go's strconv.ParseBool takes, which runc's flag does.
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(flag)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(flag)) return false;
  throw new TsrunError(`invalid --rootless value "${flag}": expected true, false or auto`);
}

/**
 * `spec --rootless`: runc's spec flag is a plain boolean (`--rootless` alone means true); absent or auto, a config
 * for an ordinary user is written for anyone but real root, as with the cgroups.
 */
export function rootlessSpec(flag: string | undefined, uid = euid(), inUserNs = inUserNamespace): boolean {
  return flag === '' || rootlessCgroups(flag, uid, inUserNs);
}

/**
 * The default root of a user ($XDG_RUNTIME_DIR/tsrun), made before any command as runc makes its own: 0700 with
 * the sticky bit (the XDG clean-up leaves it). Undefined when that is done or not a user's root; otherwise
 * runc's hint and the error.
 */
export function prepareUserRoot(env: NodeJS.ProcessEnv = process.env): { hint: string; error: string } | undefined {
  const root = defaultRoot(env);
  if (root === SYSTEM_ROOT) return undefined;
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    return { hint: 'the path in $XDG_RUNTIME_DIR must be writable by the user', error: describeNodeError(err) };
  }
  try {
    if ((statSync(root).mode & 0o1000) === 0) chmodSync(root, 0o1700);
  } catch (err) {
    return { hint: 'you should check permission of the path in $XDG_RUNTIME_DIR', error: describeNodeError(err) };
  }
  return undefined;
}
