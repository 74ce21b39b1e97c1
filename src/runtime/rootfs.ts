/**
 * The container's root directory from root.path, as runc finds it: a relative path is taken from the bundle's
 * real location, and the result must be that directory's own path. A symlink anywhere in it is refused
 * (runc: "invalid rootfs: not an absolute path, or a symlink"): what the path names could be switched later.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { TsrunError } from '../errors.js';

export function resolveRootfs(bundle: string, rootPath: string): string {
  let rootfs: string;
  let real: string;
  try {
    rootfs = isAbsolute(rootPath) ? resolve(rootPath) : resolve(realpathSync(bundle), rootPath);
    real = realpathSync(rootfs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new TsrunError(`rootfs (${JSON.stringify(resolve(bundle, rootPath))}) does not exist`);
    throw new TsrunError(`invalid rootfs: ${(err as Error).message}`);
  }
  if (real !== rootfs)
    throw new TsrunError(
      `invalid rootfs: not an absolute path, or a symlink: root.path ${JSON.stringify(rootPath)} is ${JSON.stringify(rootfs)}, which resolves to ${JSON.stringify(real)}`,
    );
  return rootfs;
}
