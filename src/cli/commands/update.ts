import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { UPDATE_FLAGS } from '../../runtime/update-flags.js';
import { handle } from '../handle.js';

export interface UpdateArgs extends GlobalArgs {
  'container-id': string;
  resources?: string;
  [flag: string]: unknown;
}

export const updateCommand: CommandModule<GlobalArgs, UpdateArgs> = {
  command: 'update <container-id>',
  describe: 'update the resource limits of a container',
  builder: (y) => {
    let b = y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('resources', { alias: 'r', type: 'string', describe: 'OCI LinuxResources JSON file, or "-" for stdin' });
    for (const name of Object.keys(UPDATE_FLAGS))
      b = b.option(name, { type: 'string', hidden: name.startsWith('kernel') || name === 'cpu-shares' });
    b = b.option('l3-cache-schema', { type: 'string', hidden: true }).option('mem-bw-schema', { type: 'string', hidden: true });
    return b as unknown as Argv<UpdateArgs>;
  },
  handler: (a) =>
    handle(async () => {
      const { updateContainer } = await import('../../runtime/update.js');
      updateContainer(a.root, a['container-id'], a);
    }),
};
