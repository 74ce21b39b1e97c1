import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';

interface IdArgs extends GlobalArgs {
  'container-id': string;
}

export const pauseCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'pause <container-id>',
  describe: 'suspend every process of the container (cgroup freezer)',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }),
  handler: (a) =>
    handle(async () => {
      const { pauseContainer } = await import('../../runtime/pause.js');
      pauseContainer(a.root, a['container-id']);
    }),
};

export const resumeCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'resume <container-id>',
  describe: 'resume every process of a paused container',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }),
  handler: (a) =>
    handle(async () => {
      const { resumeContainer } = await import('../../runtime/pause.js');
      resumeContainer(a.root, a['container-id']);
    }),
};
