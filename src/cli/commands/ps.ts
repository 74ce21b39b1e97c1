import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';

interface PsArgs extends GlobalArgs {
  'container-id': string;
  format: 'table' | 'json';
  '--'?: string[];
}

export const psCommand: CommandModule<GlobalArgs, PsArgs> = {
  command: 'ps <container-id>',
  describe: 'list the processes of a container (json: their host pids; table: ps output, default -ef)',
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('format', { alias: 'f', choices: ['table', 'json'] as const, default: 'table' as const }) as unknown as Argv<PsArgs>,
  handler: (a) =>
    handle(async () => {
      const { psContainer } = await import('../../runtime/ps.js');
      return psContainer(a.root, a['container-id'], a.format, (a['--'] ?? []).map(String));
    }),
};
