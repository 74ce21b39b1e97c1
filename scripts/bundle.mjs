// Builds the CLI:
//   dist/tsrun-main.cjs  everything, bundled and minified: each command's implementation (and zod, for the
//                        commands that read config.json) is initialised only when that command runs
//   dist/tsrun.cjs       the executable: a few lines that run tsrun-main.cjs from V8's code cache, so a
//                        start skips parsing and compiling the bundle (about 20 ms of every call)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  // not a git checkout
}

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli/entry.ts'],
  outfile: 'dist/tsrun-main.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  define: { TSRUN_VERSION: JSON.stringify(pkg.version), TSRUN_COMMIT: JSON.stringify(commit) },
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
});

// The cache is valid for this exact bundle only (V8 itself checks little more than its length).
const hash = createHash('sha256').update(readFileSync('dist/tsrun-main.cjs')).digest('hex').slice(0, 16);
writeFileSync(
  'dist/tsrun.cjs',
  `#!/usr/bin/env node
'use strict';
// tsrun: runs tsrun-main.cjs from V8's code cache (written on first use next to it, if that is writable).
const fs = require('fs'), path = require('path'), vm = require('vm'), Module = require('module');
const dir = path.dirname(fs.realpathSync(__filename));
const file = path.join(dir, 'tsrun-main.cjs');
const cache = path.join(dir, 'cache', 'tsrun-main.${hash}.' + process.versions.v8 + '.bin');
let data;
try { data = fs.readFileSync(cache); } catch {}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData: data });
if (!data || script.cachedDataRejected) {
  process.once('exit', () => {
    try {
      fs.mkdirSync(path.dirname(cache), { recursive: true });
      const tmp = cache + '.' + process.pid;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cache);
    } catch {}
  });
}
const m = { exports: {} };
script.runInThisContext().call(m.exports, m.exports, Module.createRequire(file), m, file, dir);
`,
);
chmodSync('dist/tsrun.cjs', 0o755);
mkdirSync('dist/cache', { recursive: true });
// Warm the cache with the code paths of a typical call.
execFileSync(process.execPath, ['dist/tsrun.cjs', '--root', 'dist/cache/warm-root', 'list'], { stdio: 'ignore' });
rmSync('dist/cache/warm-root', { recursive: true, force: true });
