// Run with bun by zod-unbound.test.ts: bundles src/spec/load.ts with and without the build's zod change and
// prints whether both validate every spec fixture (and a few broken documents) the same way.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { zodUnbound } from '../../scripts/lib/zod-unbound.mjs';

const repo = resolve(import.meta.dir, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'tsrun-zod-'));
async function loader(name, plugins) {
  const r = await Bun.build({ entrypoints: [join(repo, 'src/spec/load.ts')], target: 'bun', format: 'esm', outdir: join(tmp, name), plugins });
  if (!r.success) throw new Error(r.logs.join('\n'));
  return import(r.outputs[0].path);
}
try {
  const [plain, unbound] = [await loader('plain', []), await loader('unbound', [zodUnbound])];
  const docs = [];
  for (const kind of ['valid', 'invalid']) {
    const dir = join(repo, 'spec-fixtures', kind);
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) docs.push(readFileSync(join(dir, f), 'utf8'));
  }
  docs.push('{}', '[]', 'null', '{"ociVersion": 1}', '{"ociVersion":"1.0.2","root":{"path":"r"},"process":{"cwd":"/","args":[1]}}');
  const outcome = (m, text) => {
    try {
      return JSON.stringify(m.parseSpecText(text));
    } catch (err) {
      return `error: ${err.message}`;
    }
  };
  let same = 0;
  for (const d of docs) {
    const [a, b] = [outcome(plain, d), outcome(unbound, d)];
    if (a !== b) {
      console.log(`DIFFERENT\n${a}\n${b}`);
      process.exit(1);
    }
    same++;
  }
  // The change must have reached the bundle (the plugin matched zod's file).
  const code = readFileSync(join(tmp, 'unbound', 'load.js'), 'utf8');
  console.log(`same ${same} ${code.includes('this.parse = this.parse.bind(this)') ? 'bound' : 'unbound'}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
