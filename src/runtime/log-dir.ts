/**
 * Where tsrun's shim keeps container output: a directory of tsrun's own on a disk, never the state directory.
 * The state root (/run/tsrun) is usually a small tmpfs; a few chatty containers must not fill it and make every
 * other container's create fail. Layout: <log root>/<id>-XXXXXX/container.log (and .1), and for a process exec'd
 * with -d under a shim, <that dir>/execs/<pid>/container.log.
 */
import { lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TsrunError, describeNodeError } from '../errors.js';
import { StateFile } from '../native/contract.js';
import { inUserNamespace } from '../plan/host.js';
import { honoursXdgRuntimeDir } from './rootless.js';

/**
 * As real root /var/log/tsrun; for anyone else (root of a user namespace too, unless USER says root) under
 * $XDG_STATE_HOME (~/.local/state), like other per-user logs.
 */
export function defaultLogRoot(env: NodeJS.ProcessEnv = process.env, euid = process.geteuid?.() ?? 0, inUserNs = inUserNamespace): string {
  if (!honoursXdgRuntimeDir(env, euid, inUserNs)) return '/var/log/tsrun';
  const state = env.XDG_STATE_HOME?.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME ?? '/', '.local', 'state');
  return join(state, 'tsrun', 'logs');
}

/**
 * Makes `dir` (and missing parents, 0700) and checks it is tsrun's own: a real directory (not a symlink) owned
 * by this user and not writable by anyone else, since files are created in it by name.
 */
export function ensureOwnDir(dir: string, euid = process.geteuid?.() ?? 0): string {
  const abs = resolve(dir);
  try {
    mkdirSync(abs, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new TsrunError(`log directory: ${describeNodeError(err)}`);
  }
  const st = lstatSync(abs);
  if (!st.isDirectory() || st.uid !== euid || (st.mode & 0o022) !== 0)
    throw new TsrunError(`log directory "${abs}" must be a directory owned by uid ${euid} and writable by nobody else`);
  return abs;
}

/**
 * A new directory for one container's logs, <root>/<id>-XXXXXX: unique, so that containers of the same id under
 * different state roots never share (or clobber) one. The state records it; delete removes it.
 */
export function makeContainerLogDir(root: string, id: string): string {
  const base = ensureOwnDir(root);
  try {
    return mkdtempSync(join(base, `${id}-`));
  } catch (err) {
    throw new TsrunError(`log directory: ${describeNodeError(err)}`);
  }
}

/** A directory for an exec'd process's log, named after it once its pid is known (see nameExecLogDir). */
export function makeExecLogDir(containerLogDir: string): string {
  const execs = join(containerLogDir, StateFile.EXECS);
  mkdirSync(execs, { recursive: true, mode: 0o700 });
  return mkdtempSync(join(execs, '.new-'));
}

/** <container log dir>/execs/<pid>. */
export function execLogDir(containerLogDir: string, pid: number): string {
  return join(containerLogDir, StateFile.EXECS, String(pid));
}

export function nameExecLogDir(tmp: string, pid: number): string {
  const final = join(dirname(tmp), String(pid));
  rmSync(final, { recursive: true, force: true }); // a pid used before by another exec'd process
  renameSync(tmp, final);
  return final;
}

export function removeLogDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
