/** The one place that loads the native addon and finds the launcher next to it. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TsrunError } from '../errors.js';
import { urlModule } from '../util/builtins.js';
import type { NativeAddon } from './contract.js';

const moduleDir = () => (typeof __dirname === 'string' ? __dirname : dirname(urlModule().fileURLToPath(import.meta.url)));

// From the sources (tests, node, bun), src/native/addon.ts sits two levels below the package root.
function packageRoot(): string {
  let dir = moduleDir();
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dir);
}

/** A bun-compiled executable keeps its modules in the embedded /$bunfs/ file system (its __dirname is the build's). */
const compiled = () => (globalThis as { Bun?: { main?: string } }).Bun?.main?.startsWith('/$bunfs/') === true;

/**
 * The shipped executable (dist/tsrun-js) has the addon and the launcher beside it, and looks nowhere else (its
 * module paths are those of the machine it was built on); from the sources (tests, node) they are in build/Release.
 */
function candidates(): string[] {
  if (process.env.TSRUN_NATIVE_DIR) return [process.env.TSRUN_NATIVE_DIR];
  if (compiled()) return [dirname(process.execPath)];
  const pkg = packageRoot();
  return [join(pkg, 'build', 'Release'), join(pkg, 'build', 'Debug')];
}

let addon: NativeAddon | undefined;
let nativeDir: string | undefined;

function locate(): string {
  if (nativeDir) return nativeDir;
  const tried = candidates();
  for (const dir of tried) {
    if (existsSync(join(dir, 'tsrun.node')) && existsSync(join(dir, 'tsrun-launcher'))) return (nativeDir = dir);
  }
  throw new TsrunError(`native code not built (run "npm run build:native"); looked in: ${tried.join(', ')}`);
}

export function native(): NativeAddon {
  if (!addon) {
    // dlopen by path: no module resolution (bun's require would list every directory from / to the file), and a
    // compiled executable loads the file on disk, never a copy embedded at build time.
    const mod = { exports: {} as NativeAddon };
    process.dlopen(mod, join(locate(), 'tsrun.node'));
    addon = mod.exports;
  }
  return addon;
}

/** The addon if this call has loaded it already (never loads it). */
export function loadedNative(): NativeAddon | undefined {
  return addon;
}

export function launcherPath(): string {
  return join(locate(), 'tsrun-launcher');
}
