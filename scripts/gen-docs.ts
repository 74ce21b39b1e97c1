// Manual pages and shell completion from the command definitions (run by scripts/bundle.mjs with bun):
// dist/man/tsrun.8, dist/man/tsrun-<command>.8, dist/completion/tsrun.bash, dist/completion/_tsrun.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GLOBAL_FLAGS } from '../src/cli/global.js';
import { COMMANDS } from '../src/cli/registry.js';
import { bashCompletion, zshCompletion } from '../src/docs/completion.js';
import { MAIN_PAGE_TEXT } from '../src/docs/main-page.js';
import { commandPage, mainPage } from '../src/docs/man.js';

const [dist, version] = [process.argv[2]!, process.argv[3] ?? 'dev'];
const docs = COMMANDS.map((c) => c.doc);
mkdirSync(join(dist, 'man'), { recursive: true });
mkdirSync(join(dist, 'completion'), { recursive: true });
writeFileSync(join(dist, 'man', 'tsrun.8'), mainPage({ version, commands: docs, globals: GLOBAL_FLAGS, ...MAIN_PAGE_TEXT }));
for (const d of docs) writeFileSync(join(dist, 'man', `tsrun-${d.name}.8`), commandPage(d, version));
writeFileSync(join(dist, 'completion', 'tsrun.bash'), bashCompletion(docs, GLOBAL_FLAGS));
writeFileSync(join(dist, 'completion', '_tsrun'), zshCompletion(docs, GLOBAL_FLAGS));
