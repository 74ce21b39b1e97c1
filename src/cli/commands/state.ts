import { writeSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';

interface IdArgs extends GlobalArgs {
  'container-id': string;
}

export const stateCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'state <container-id>',
  describe: 'print the state of a container (OCI state JSON)',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }),
  handler: (a) =>
    handle(async () => {
      const { StateDir, ociState } = await import('../../runtime/state.js');
      const dir = new StateDir(a.root, a['container-id']);
      writeSync(1, JSON.stringify(ociState(dir, dir.load()), null, '  ') + '\n');
    }),
};
