import { writeSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';

interface ListArgs extends GlobalArgs {
  format: 'table' | 'json';
  quiet: boolean;
}

export const listCommand: CommandModule<GlobalArgs, ListArgs> = {
  command: 'list',
  aliases: ['ps-all'],
  describe: 'list containers',
  builder: (y) =>
    y
      .option('format', { alias: 'f', choices: ['table', 'json'] as const, default: 'table' as const })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the ids' }),
  handler: (a) =>
    handle(async () => {
      const { listContainers, formatTable } = await import('../../runtime/list.js');
      const entries = listContainers(a.root);
      let out: string;
      if (a.quiet) out = entries.map((e) => e.id + '\n').join('');
      else if (a.format === 'json') out = JSON.stringify(entries) + '\n';
      else out = formatTable(entries);
      writeSync(1, out);
    }),
};
