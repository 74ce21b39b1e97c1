import { writeSync } from 'node:fs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface IdArgs extends GlobalArgs {
  'container-id': string;
}

export const STATE_DOC: CommandDoc = {
  name: 'state',
  command: 'state <container-id>',
  synopsis: '<container-id>',
  summary: 'print the state of a container (OCI state JSON)',
  description: 'Prints the OCI state: id, pid of the init, status (created, running, paused, stopped), bundle, annotations, creation time and owner.',
  positionals: { 'container-id': 'the name of the container' },
  flags: {},
  examples: [['tsrun state web', 'the state of web as JSON']],
};

export const stateCommand = commandModule<IdArgs>(STATE_DOC, (a) =>
  handle(async () => {
    const { StateDir, ociState } = await import('../../runtime/verbs.js');
    const dir = new StateDir(a.root, a['container-id']);
    writeSync(1, JSON.stringify(ociState(dir, dir.load()), null, '  ') + '\n');
  }),
);
