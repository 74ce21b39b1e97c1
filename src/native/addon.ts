/** The one place that loads the native addon and finds the launcher next to it. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsrunError } from '../errors.js';
import type { NativeAddon } from './contract.js';

// dist/tsrun.cjs and src/native/addon.ts both sit two levels below the package root... or one.
function packageRoot(): string {
  let dir = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dir);
}

// The shipped executable (dist/tsrun-js) has the addon and the launcher beside it; from the sources (tests, node)
// they are in build/Release.
const candidates = () => {
  const root = process.env.TSRUN_NATIVE_DIR ? [process.env.TSRUN_NATIVE_DIR] : [];
  const beside = (process.versions as Record<string, string | undefined>).bun ? [dirname(process.execPath)] : [];
  const pkg = packageRoot();
  return [...root, ...beside, join(pkg, 'build', 'Release'), join(pkg, 'build', 'Debug')];
};

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
    const req = createRequire(typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url));
    // A computed path: a compiled executable must load the file from disk, never a copy embedded at build time
    // (bun would write that to /tmp and load it from there).
    const file = join(locate(), 'tsrun.node');
    addon = req(file) as NativeAddon;
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
