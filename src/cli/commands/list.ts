import { writeSync } from 'node:fs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface ListArgs extends GlobalArgs {
  format: 'table' | 'json';
  quiet: boolean;
}

export const LIST_DOC: CommandDoc = {
  name: 'list',
  aliases: ['ps-all'],
  command: 'list',
  synopsis: '',
  summary: 'list containers',
  description: 'One line per container of the state root (--root): id, pid of its init, status, bundle, creation time and owner.',
  positionals: {},
  flags: {
    format: { alias: 'f', type: 'string', default: 'table', choices: ['table', 'json'], describe: 'output format' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'print only the ids' },
  },
  examples: [
    ['tsrun list', 'a table of the containers'],
    ['tsrun list -q', 'their ids, one per line'],
    ['tsrun --root /run/other list --format json', 'the containers of another state root, as JSON'],
  ],
};

export const listCommand = commandModule<ListArgs>(LIST_DOC, (a) =>
  handle(async () => {
    const { listContainers, formatTable } = await import('../../runtime/verbs.js');
    const entries = listContainers(a.root);
    let out: string;
    if (a.quiet) out = entries.map((e) => e.id + '\n').join('');
    else if (a.format === 'json') out = JSON.stringify(entries) + '\n';
    else out = formatTable(entries);
    writeSync(1, out);
  }),
);
