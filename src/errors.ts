import { osModule } from './util/builtins.js';
import { termSignal } from './util/wait-status.js';

/**
 * Every failure tsrun reports is a TsrunError: its message is printed as is (runc's wording where
 * callers match it) and its exitCode is the process exit status.
 */
export class TsrunError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'TsrunError';
  }
}

/**
 * The cgroup (or systemd unit) a create names belongs to something running: refused, and never removed or killed
 * on the way out, since it is not the failed container's.
 */
export class CgroupInUseError extends TsrunError {
  constructor(message: string) {
    super(message);
    this.name = 'CgroupInUseError';
  }
}

/** config.json (or a process.json) is not a valid runtime-spec document. */
export class ConfigError extends TsrunError {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`invalid ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A file tsrun reads but does not control (config.json, process.json, a container's /etc/passwd) is unusable. */
export class InputFileError extends TsrunError {
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'InputFileError';
  }
}

/** A syscall failed: carries errno, its code (EPERM) and the step that failed. */
export class SysError extends TsrunError {
  readonly code: string;
  constructor(readonly step: string, readonly errno: number, detail?: string) {
    super(`${detail ?? step}: ${errnoMessage(errno)}`);
    this.name = 'SysError';
    this.code = errnoCode(errno);
  }
}

/** A Node error (negative errno, as libuv gives it) as a SysError naming `detail`; undefined for anything else. */
export function sysErrorOf(err: unknown, step: string, detail: string): SysError | undefined {
  const e = err as NodeJS.ErrnoException | null;
  return typeof e?.errno === 'number' ? new SysError(step, Math.abs(e.errno), detail) : undefined;
}

/** The container init died before it could report a step (killed, or exited during setup). */
export class InitDiedError extends TsrunError {
  constructor(readonly waitStatus: number, message: string) {
    super(message);
    this.name = 'InitDiedError';
  }
  get signal(): number {
    return termSignal(this.waitStatus);
  }
}

let codeByNumber: Map<number, string> | undefined;

export function errnoCode(errno: number): string {
  if (!codeByNumber) {
    codeByNumber = new Map();
    for (const [code, num] of Object.entries(osModule().constants.errno)) {
      if (!codeByNumber.has(num)) codeByNumber.set(num, code);
    }
  }
  return codeByNumber.get(errno) ?? `E${errno}`;
}

// Go's (and so runc's) lowercase strerror wording, which callers such as podman match.
const messages: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  EIO: 'input/output error',
  ENXIO: 'no such device or address',
  E2BIG: 'argument list too long',
  ENOEXEC: 'exec format error',
  EBADF: 'bad file descriptor',
  ECHILD: 'no child processes',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EFAULT: 'bad address',
  ENOTBLK: 'block device required',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  EXDEV: 'invalid cross-device link',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  ENFILE: 'too many open files in system',
  EMFILE: 'too many open files',
  ENOTTY: 'inappropriate ioctl for device',
  ETXTBSY: 'text file busy',
  EFBIG: 'file too large',
  ENOSPC: 'no space left on device',
  ESPIPE: 'illegal seek',
  EROFS: 'read-only file system',
  EMLINK: 'too many links',
  EPIPE: 'broken pipe',
  EDOM: 'numerical argument out of domain',
  ERANGE: 'numerical result out of range',
  EDEADLK: 'resource deadlock avoided',
  ENAMETOOLONG: 'file name too long',
  ENOLCK: 'no locks available',
  ENOSYS: 'function not implemented',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links',
  ENOTSOCK: 'socket operation on non-socket',
  EOPNOTSUPP: 'operation not supported',
  ENOTSUP: 'operation not supported',
  EADDRINUSE: 'address already in use',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  EOVERFLOW: 'value too large for defined data type',
  EUSERS: 'too many users',
  EDQUOT: 'disk quota exceeded',
  ESTALE: 'stale NFS file handle',
  ENOMEDIUM: 'no medium found',
  EOWNERDEAD: 'owner died',
};

/** Go's wording of an errno code ('ENOENT' → 'no such file or directory'), if tsrun knows it. */
export function codeMessage(code: string): string | undefined {
  return messages[code];
}

export function errnoMessage(errno: number): string {
  return messages[errnoCode(errno)] ?? `errno ${errno}`;
}

/**
 * An error thrown by the native addon (addon/napi/napi_error.h): errno negative as Node's, code, syscall, path
 * where there is one, and a message already in its final wording.
 */
export interface NativeError extends Error {
  errno: number;
  code: string;
  syscall: string;
  path?: string;
  /** sd-bus only: the D-Bus error name, e.g. org.freedesktop.systemd1.NoSuchUnit. */
  dbusError?: string;
  native: true;
}

export function isNativeError(err: unknown): err is NativeError {
  return err instanceof Error && (err as Partial<NativeError>).native === true;
}

/** Turns a Node fs error (or anything thrown) into a SysError-like message without a stack. */
export function describeNodeError(err: unknown): string {
  if (err instanceof TsrunError) return err.message;
  // The addon's message is its final wording (Node's own messages are reworded below).
  if (isNativeError(err)) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.errno === 'number' && e.code) {
    const msg = messages[e.code] ?? e.message;
    const where = e.syscall ? `${e.syscall}${e.path ? ` ${e.path}` : ''}` : '';
    return where ? `${where}: ${msg}` : msg;
  }
  return e instanceof Error ? e.message : String(err);
}
