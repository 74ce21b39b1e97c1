// Bundles the CLI into one file, dist/tsrun.cjs: one file to read and compile at every start, with each
// command's implementation (and zod, for the commands that read config.json) initialised only when used.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  // not a git checkout
}

await build({
  entryPoints: ['src/cli/entry.ts'],
  outfile: 'dist/tsrun.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minifySyntax: true,
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  define: { TSRUN_VERSION: JSON.stringify(pkg.version), TSRUN_COMMIT: JSON.stringify(commit) },
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
});
chmodSync('dist/tsrun.cjs', 0o755);
