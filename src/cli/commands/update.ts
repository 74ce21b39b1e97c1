import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { UPDATE_FLAGS } from '../../runtime/update-flags.js';
import { handle } from '../handle.js';
import { yargsOptions, type FlagTable } from '../flags.js';

/** Intel RDT schemata: refused (runc's error where the host has no CAT/MBA), since tsrun makes no resctrl group. */
export const UPDATE_RDT_FLAGS: FlagTable = {
  'l3-cache-schema': { type: 'string', describe: 'Intel RDT/CAT L3 cache schema (fails: tsrun does not apply Intel RDT)' },
  'mem-bw-schema': { type: 'string', describe: 'Intel RDT/MBA memory bandwidth schema (fails: tsrun does not apply Intel RDT)' },
};

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
    b = b.options(yargsOptions(UPDATE_RDT_FLAGS)) as unknown as typeof b;
    return b as unknown as Argv<UpdateArgs>;
  },
  handler: (a) =>
    handle(async () => {
      const { updateContainer } = await import('../../runtime/update.js');
      updateContainer(a.root, a['container-id'], a);
    }),
};
