import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { parsePid } from '../../util/numbers.js';

interface IdArgs extends GlobalArgs {
  'container-id': string;
  exec?: string;
}

export const waitCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'wait <container-id>',
  describe: "wait until a container supervised by tsrun's shim exits; exit with its exit code",
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('exec', { type: 'string', describe: 'the process of that pid, exec\'d with -d under the shim, instead of the container' }) as Argv<IdArgs>,
  handler: (a) =>
    handle(async () => {
      const { waitContainer } = await import('../../runtime/wait.js');
      return waitContainer(a.root, a['container-id'], a.exec === undefined ? undefined : parsePid('exec', a.exec));
    }),
};
