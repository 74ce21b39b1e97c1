// Run by scripts/bundle.mjs with bun: compiles src/cli/entry.ts into one executable (see bundle.mjs).
//   bun scripts/compile.mjs OUTFILE VERSION COMMIT
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zodUnbound } from './lib/zod-unbound.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [outfile, version, commit] = process.argv.slice(2);
// Which functions a create, a run and an exec use, recorded from the executable (scripts/record-bytecode-order):
// their bytecode is laid out together, so a call faults in fewer pages.
const orderDir = join(repo, 'scripts', 'bytecode-order');
const order = existsSync(orderDir) ? readdirSync(orderDir).filter((f) => f.endsWith('.txt')).sort().map((f) => join(orderDir, f)) : [];

const result = await Bun.build({
  entrypoints: [join(repo, 'src/cli/entry.ts')],
  target: 'bun',
  format: 'esm',
  minify: true,
  bytecode: true,
  // Split where code is imported dynamically (the runtime, yargs): a call loads only the chunks it runs, and
  // every chunk of a bundle costs start-up time whether it runs or not.
  splitting: true,
  define: { TSRUN_VERSION: JSON.stringify(version), TSRUN_COMMIT: JSON.stringify(commit) },
  plugins: [zodUnbound],
  compile: {
    outfile,
    // Nothing from the caller's directory may change tsrun: no .env, no bunfig.toml, no tsconfig.json.
    autoloadDotenv: false,
    autoloadBunfig: false,
    autoloadTsconfig: false,
    autoloadPackageJson: false,
    bytecodeOrder: order.length ? order : false,
  },
});
if (!result.success) {
  for (const l of result.logs) console.error(String(l));
  process.exit(1);
}
