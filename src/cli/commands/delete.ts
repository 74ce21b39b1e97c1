import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface DeleteArgs extends GlobalArgs {
  'container-id': string;
  force: boolean;
}

export const DELETE_DOC: CommandDoc = {
  name: 'delete',
  command: 'delete <container-id>',
  synopsis: '<container-id>',
  summary: 'delete a stopped (or created) container; --force kills a running one first',
  description:
    'Removes everything the container had: its state directory, cgroups, logs kept by the shim, and runs its poststop hooks. A running or paused container is refused unless --force is given, which kills it with SIGKILL and waits until every process is gone. Deleting a container that does not exist fails; with --force it succeeds.',
  positionals: { 'container-id': 'the name of the container' },
  flags: { force: { alias: 'f', type: 'boolean', default: false, describe: 'kill the container first if it runs (SIGKILL), and wait for it' } },
  examples: [
    ['tsrun delete web', 'delete a stopped container'],
    ['tsrun delete --force web', 'kill and delete a running one'],
  ],
};

export const deleteCommand = commandModule<DeleteArgs>(DELETE_DOC, (a) =>
  handle(async () => {
    const { deleteContainer } = await import('../../runtime/verbs.js');
    deleteContainer(a.root, a['container-id'], a.force);
  }),
);
