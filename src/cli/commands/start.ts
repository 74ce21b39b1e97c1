import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface IdArgs extends GlobalArgs {
  'container-id': string;
}

export const START_DOC: CommandDoc = {
  name: 'start',
  command: 'start <container-id>',
  synopsis: '<container-id>',
  summary: 'start the process of a created container',
  description: 'Lets the process that create prepared run the program of config.json (process.args), then runs the poststart hooks. A container starts once.',
  positionals: { 'container-id': 'the name of the container' },
  flags: {},
  examples: [['tsrun create --bundle /srv/web web && tsrun start web', 'create, then start']],
};

export const startCommand = commandModule<IdArgs>(START_DOC, (a) =>
  handle(async () => {
    const { startContainer } = await import('../../runtime/verbs.js');
    startContainer(a.root, a['container-id']);
  }),
);
