/** Processes of a cgroup: listing, joining, killing; and removing cgroup directories (runc's cgroups/utils.go). */
import { TsrunError } from '../errors.js';
import { CgroupFiles, cgroupFileError, errCode, isGone, joinFile, sleepMs } from './io.js';
import { parsePids } from './parse.js';

/** cgroup.procs of one directory (cgroup.threads for a threaded cgroup, whose procs file reads ENOTSUP). */
export function readProcs(files: CgroupFiles, dir: string): number[] {
  let file = 'cgroup.procs';
  let text: string;
  try {
    text = files.read(dir, file);
  } catch (err) {
    if (errCode(err) !== 'ENOTSUP' && errCode(err) !== 'EOPNOTSUPP') throw err;
    file = 'cgroup.threads';
    text = files.read(dir, file);
  }
  return parsePids(text, dir, file);
}

/** Every process in `dir` and its sub-cgroups (runc's GetAllPids); a sub-cgroup vanishing meanwhile is skipped. */
export function readAllProcs(files: CgroupFiles, dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string, top: boolean) => {
    let subdirs: string[];
    try {
      out.push(...readProcs(files, d));
      subdirs = files.subdirs(d);
    } catch (err) {
      if (!top && isGone(err)) return;
      throw top ? cgroupFileError('open', d, err) : err;
    }
    for (const s of subdirs.sort()) walk(joinFile(d, s), false);
  };
  walk(dir, true);
  return out;
}

/** Writes a pid into cgroup.procs; EINVAL (a task still being created) is retried a few times, as runc does. */
export function writeProc(files: CgroupFiles, dir: string, pid: number, tries = 5, delayMs = 30): void {
  for (let i = 0; ; i++) {
    try {
      files.write(dir, 'cgroup.procs', String(pid));
      return;
    } catch (err) {
      if (errCode(err) !== 'EINVAL' || i + 1 >= tries) {
        throw new TsrunError(`failed to write ${pid}: ${(err as Error).message.replace(/^failed to write "\d+": /, '')}`);
      }
      sleepMs(delayMs);
    }
  }
}

/**
 * SIGKILL each pid; a process already gone is fine. Every pid is tried; then the first other failure (EPERM)
 * is thrown (runc only logs it).
 */
export function killPids(pids: number[]): void {
  let first: unknown;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      if (errCode(err) !== 'ESRCH' && first === undefined) first = err;
    }
  }
  if (first !== undefined) throw first;
}

export interface RmdirRetry {
  /** How many times EBUSY is retried. */
  tries: number;
  /** The first delay; it doubles up to maxDelayMs. */
  delayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RMDIR_RETRY: RmdirRetry = { tries: 10, delayMs: 1, maxDelayMs: 4 };

function rmdir(files: CgroupFiles, path: string, retry: RmdirRetry | undefined): void {
  let delay = retry?.delayMs ?? 0;
  let tries = retry?.tries ?? 0;
  for (;;) {
    try {
      files.io.rmdir(path);
      return;
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT') return;
      if (code === 'EINTR') continue;
      if (code === 'EBUSY' && retry && tries > 0) {
        sleepMs(delay);
        delay = Math.min(delay * 2, retry.maxDelayMs);
        tries--;
        continue;
      }
      throw cgroupFileError('rmdir', path, err);
    }
  }
}

/**
 * Removes a cgroup directory (runc's RemovePath): a plain rmdir first; if that fails, the sub-cgroups
 * (leaf first), then rmdir again retrying EBUSY (processes still exiting) a bounded number of times.
 * A directory that is not there is fine.
 */
export function removeCgroup(files: CgroupFiles, path: string, retry: RmdirRetry = DEFAULT_RMDIR_RETRY): void {
  try {
    rmdir(files, path, undefined);
    return;
  } catch {
    // fall through to the slow path
  }
  let subdirs: string[];
  try {
    subdirs = files.subdirs(path);
  } catch (err) {
    if (isGone(err)) return;
    throw cgroupFileError('open', path, err);
  }
  for (const s of subdirs) removeCgroup(files, joinFile(path, s), retry);
  rmdir(files, path, retry);
}

/**
 * Removes every directory of a manager (leaf first within each), trying them all; the ones that could not be
 * removed are reported as runc does ("Failed to remove paths: map[cpu:/sys/... memory:/sys/...]").
 */
export function removeCgroups(files: CgroupFiles, paths: [string, string][], retry?: RmdirRetry): void {
  const failed: [string, string][] = [];
  const done = new Set<string>();
  for (const [key, p] of paths) {
    if (done.has(p)) continue;
    try {
      removeCgroup(files, p, retry);
      done.add(p);
    } catch {
      failed.push([key, p]);
    }
  }
  if (failed.length > 0) {
    failed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    throw new TsrunError(`Failed to remove paths: map[${failed.map(([k, p]) => `${k}:${p}`).join(' ')}]`);
  }
}
