/**
 * Writes resource values into cgroup files for apply(). A value the host cannot take (its controller is not
 * mounted or enabled, or the kernel lacks the file) is a warning when it is the kernel's default anyway, and an
 * error naming the linux.resources field when the user asked for it.
 */
import { SysError, TsrunError } from '../errors.js';
import { osModule } from '../util/builtins.js';
import { CgroupFiles, errCode, joinFile } from './io.js';

export interface SetOptions {
  /** The controller the file belongs to, for messages ("memory", "hugetlb"). */
  controller: string;
  /** The value is what the kernel has anyway (unlimited, 0): a missing file is only a warning. */
  isDefault?: boolean;
}

export class ResourceWriter {
  readonly warnings: string[] = [];

  constructor(readonly files: CgroupFiles) {}

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /**
   * Writes `data` to dir/file. Returns false when nothing was written because the directory or file is missing
   * and the value is a default (a warning was recorded). Other failures throw the SysError (its code is the
   * errno code, so callers can retry on EINVAL as runc does).
   */
  set(dir: string | undefined, file: string, data: string, field: string, o: SetOptions): boolean {
    return this.setEach(dir, file, [data], field, o);
  }

  /** set() of several values, each with its own write(2) through one open of the file. */
  setEach(dir: string | undefined, file: string, data: string[], field: string, o: SetOptions): boolean {
    if (dir === undefined) {
      if (o.isDefault) {
        this.warn(`${field}: no ${o.controller} cgroup on this host, ignored`);
        return false;
      }
      throw new TsrunError(`${field}: cannot set ${o.controller} limit: container could not join or create cgroup`);
    }
    try {
      this.files.writeEach(dir, file, data);
      return true;
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
      const path = joinFile(dir, file);
      if (o.isDefault) {
        this.warn(`${field}: ${path} does not exist on this host, ignored`);
        return false;
      }
      throw new SysError('cgroup open', osModule().constants.errno.ENOENT, `${field}: open ${path}`);
    }
  }
}

/** The spelling of a resources field in messages. */
export function field(path: string): string {
  return `linux.resources.${path}`;
}
