import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';

interface IdArgs extends GlobalArgs {
  'container-id': string;
}

export const startCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'start <container-id>',
  describe: 'start the process of a created container',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }),
  handler: (a) =>
    handle(async () => {
      const { startContainer } = await import('../../runtime/start.js');
      startContainer(a.root, a['container-id']);
    }),
};
