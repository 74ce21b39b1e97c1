import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { parsePid } from '../../util/numbers.js';

interface AttachArgs extends GlobalArgs {
  'container-id': string;
  exec?: string;
  'no-stdin': boolean;
  'detach-keys': string;
}

export const attachCommand: CommandModule<GlobalArgs, AttachArgs> = {
  command: 'attach <container-id>',
  describe: "connect to a container supervised by tsrun's shim: its live output, your input and terminal size",
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('exec', { type: 'string', describe: 'the process of that pid, exec\'d with -d under the shim, instead of the container' })
      .option('no-stdin', { type: 'boolean', default: false, describe: 'do not send input to the container' })
      .option('detach-keys', { type: 'string', default: 'ctrl-p,ctrl-q', describe: 'key sequence that detaches, leaving the container running' }) as Argv<AttachArgs>,
  handler: (a) =>
    handle(async () => {
      const { attachContainer } = await import('../../runtime/attach.js');
      return attachContainer(a.root, a['container-id'], { noStdin: a['no-stdin'], detachKeys: a['detach-keys'] }, a.exec === undefined ? undefined : parsePid('exec', a.exec));
    }),
};
