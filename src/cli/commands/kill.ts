import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';

interface KillArgs extends GlobalArgs {
  'container-id': string;
  signal?: string;
  all: boolean;
}

export const killCommand: CommandModule<GlobalArgs, KillArgs> = {
  command: 'kill <container-id> [signal]',
  describe: "send a signal (default SIGTERM) to the container's init",
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .positional('signal', { type: 'string', describe: 'name (KILL, SIGKILL) or number' })
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'signal every process of the container' }),
  handler: (a) =>
    handle(async () => {
      const [{ killContainer }, { parseSignal }] = await Promise.all([
        import('../../runtime/kill.js'),
        import('../../runtime/signals.js'),
      ]);
      killContainer(a.root, a['container-id'], parseSignal(a.signal === undefined ? undefined : String(a.signal)), a.all);
    }),
};
