/**
 * The only place the cgroup code touches the filesystem. Managers take a CgroupIO so tests can record
 * writes or inject kernel errors (EINVAL, EBUSY) over a temporary directory that mimics the cgroup files.
 */
import { closeSync, constants as fsc, existsSync, mkdirSync, openSync, readdirSync, rmdirSync, writeSync } from 'node:fs';
import { SysError } from '../errors.js';
import { osModule } from '../util/builtins.js';
import { O_CLOEXEC, readFdBounded } from '../util/fs.js';

export interface CgroupIO {
  readFile(path: string): string;
  /**
   * Opens an existing file write-only (never creates it) and writes each chunk with its own write(2); a failed
   * write's error carries the chunk (`chunk`), which the message names as runc's does.
   */
  writeFile(path: string, chunks: string[]): void;
  exists(path: string): boolean;
  /** One level; throws EEXIST when it is there. */
  mkdir(path: string): void;
  rmdir(path: string): void;
  /** The entries of a directory. */
  readdir(path: string): { name: string; isDir: boolean }[];
}

/**
 * The kernel writes these files, but one can be long: cgroup.procs lists every process of a cgroup (8 bytes each
 * at most). 16 MiB holds two million.
 */
export const CGROUP_FILE_LIMIT = 16 * 1024 * 1024;

export const nodeIO: CgroupIO = {
  readFile(path) {
    // Errors keep their errno code: ENOENT and ENODEV say the cgroup is gone (isGone). A create meets some (the
    // freezer state of a cgroup not made yet): the open's own error, which costs nothing to make.
    const fd = openSync(path, fsc.O_RDONLY | O_CLOEXEC);
    try {
      return readFdBounded(fd, path, CGROUP_FILE_LIMIT).toString('utf8');
    } finally {
      closeSync(fd);
    }
  },
  writeFile(path, chunks) {
    // O_TRUNC is harmless on cgroupfs and keeps a test's regular file holding exactly the last write.
    const fd = openSync(path, fsc.O_WRONLY | fsc.O_TRUNC);
    try {
      for (const c of chunks) {
        try {
          writeSync(fd, c);
        } catch (err) {
          throw Object.assign(err as Error, { chunk: c });
        }
      }
    } finally {
      closeSync(fd);
    }
  },
  exists: (path) => existsSync(path),
  mkdir: (path) => mkdirSync(path, 0o755),
  rmdir: (path) => rmdirSync(path),
  readdir: (path) => readdirSync(path, { withFileTypes: true }).map((d) => ({ name: d.name, isDir: d.isDirectory() })),
};

/** The errno code (ENOENT, EBUSY, ...) of anything thrown, or undefined. */
export function errCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** The file or cgroup is not there (ENOENT), or is being removed (ENODEV: its kernfs node is going away). */
export function isGone(err: unknown): boolean {
  const code = errCode(err);
  return code === 'ENOENT' || code === 'ENODEV';
}

function errnoOf(err: unknown): number {
  const code = errCode(err);
  const { errno } = osModule().constants;
  const n = code ? (errno as Record<string, number>)[code] : undefined;
  return n ?? errno.EIO;
}

/** A failed cgroup file operation, worded like runc's ("failed to write "1": write /sys/...: invalid argument"). */
export function cgroupFileError(op: 'open' | 'read' | 'write' | 'mkdir' | 'rmdir', path: string, err: unknown, data?: string): SysError {
  if (err instanceof SysError) return err;
  const detail = op === 'write' ? `failed to write ${JSON.stringify(data ?? '')}: write ${path}` : `${op} ${path}`;
  return new SysError(`cgroup ${op}`, errnoOf(err), detail);
}

/** A synchronous sleep (the manager API is synchronous; runc sleeps in the same places). */
export function sleepMs(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Reading and writing cgroup files of one manager. */
export class CgroupFiles {
  constructor(readonly io: CgroupIO = nodeIO) {}

  /** Throws a SysError; ENOENT keeps code 'ENOENT'. */
  read(dir: string, file: string): string {
    return this.readOrGone(dir, file, false)!;
  }

  /** undefined when the file does not exist. */
  tryRead(dir: string, file: string): string | undefined {
    return this.readOrGone(dir, file, true);
  }

  private readOrGone(dir: string, file: string, goneIsUndefined: boolean): string | undefined {
    const path = joinFile(dir, file);
    try {
      return this.io.readFile(path);
    } catch (err) {
      // Told before the error becomes a SysError (whose errno code loads node:os): a create meets some.
      if (goneIsUndefined && isGone(err)) return undefined;
      throw cgroupFileError('open', path, err);
    }
  }

  write(dir: string, file: string, data: string): void {
    this.writeEach(dir, file, [data]);
  }

  /** runc's WriteFileByLine: one write per line of a multi-line value. */
  writeByLine(dir: string, file: string, data: string): void {
    const lines = data.split(/(?<=\n)/);
    this.writeEach(dir, file, lines.length ? lines : ['']);
  }

  /** Each value with its own write(2) through one open of the file (device rules: one rule per write). */
  writeEach(dir: string, file: string, chunks: string[]): void {
    const path = joinFile(dir, file);
    try {
      this.io.writeFile(path, chunks);
    } catch (err) {
      const code = errCode(err);
      const failed = (err as { chunk?: unknown }).chunk;
      const data = typeof failed === 'string' ? failed : chunks.join('');
      throw cgroupFileError(code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' ? 'open' : 'write', path, err, data);
    }
  }

  /** The sub-cgroups (subdirectories) of a directory. */
  subdirs(dir: string): string[] {
    return this.io.readdir(dir).filter((e) => e.isDir).map((e) => e.name);
  }

  /** The file names in a directory ([] when it is not there). */
  fileNames(dir: string): string[] {
    try {
      return this.io.readdir(dir).filter((e) => !e.isDir).map((e) => e.name);
    } catch (err) {
      if (errCode(err) === 'ENOENT') return [];
      throw err;
    }
  }

  exists(dir: string, file?: string): boolean {
    return this.io.exists(file === undefined ? dir : joinFile(dir, file));
  }
}

/** dir + "/" + file, where file never climbs out of dir. */
export function joinFile(dir: string, file: string): string {
  const clean = file.split('/').filter((p) => p && p !== '.' && p !== '..').join('/');
  return dir.endsWith('/') ? dir + clean : `${dir}/${clean}`;
}
