// Builds what is shipped, in dist/:
//   tsrun-js         the TypeScript CLI compiled by bun (the npm package, pinned in package-lock.json) into one
//                    executable with its own JavaScript engine and the bytecode of the bundle: a call starts in
//                    a few milliseconds, where Node needs more than 20 before any work (scripts/compile.mjs)
//   tsrun.node       the addon and the launcher, copied from build/Release: tsrun-js finds them beside itself
//   tsrun-launcher
//   tsrun            the native front end (build/Release/tsrun): answers the frequent verbs itself and runs
//                    tsrun-js for everything else; without it (a build that has none yet) a link to tsrun-js
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(repo, 'dist');
const native = join(repo, 'build', 'Release');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  // not a git checkout
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
const bun = join(repo, 'node_modules', '.bin', 'bun');
execFileSync(bun, ['scripts/compile.mjs', join(dist, 'tsrun-js'), pkg.version, commit], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
// Manual pages and shell completion, from the same command definitions as --help.
execFileSync(bun, ['scripts/gen-docs.ts', dist, pkg.version], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
for (const f of ['tsrun.node', 'tsrun-launcher']) {
  if (!existsSync(join(native, f))) throw new Error(`build/Release/${f} is missing: run "npm run build:native" first`);
  copyFileSync(join(native, f), join(dist, f));
}
chmodSync(join(dist, 'tsrun-launcher'), 0o755);
if (existsSync(join(native, 'tsrun'))) {
  copyFileSync(join(native, 'tsrun'), join(dist, 'tsrun'));
  chmodSync(join(dist, 'tsrun'), 0o755);
} else {
  symlinkSync('tsrun-js', join(dist, 'tsrun'));
}
