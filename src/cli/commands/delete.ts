import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';

interface DeleteArgs extends GlobalArgs {
  'container-id': string;
  force: boolean;
}

export const deleteCommand: CommandModule<GlobalArgs, DeleteArgs> = {
  command: 'delete <container-id>',
  describe: 'delete a stopped (or created) container; --force kills a running one first',
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill the container first if it runs' }),
  handler: (a) =>
    handle(async () => {
      const { deleteContainer } = await import('../../runtime/delete.js');
      deleteContainer(a.root, a['container-id'], a.force);
    }),
};
