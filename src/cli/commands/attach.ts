import { parsePid } from '../../util/numbers.js';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface AttachArgs extends GlobalArgs {
  'container-id': string;
  exec?: string;
  'no-stdin': boolean;
  'detach-keys': string;
}

export const ATTACH_DOC: CommandDoc = {
  name: 'attach',
  command: 'attach <container-id>',
  synopsis: '<container-id>',
  summary: "connect to a container supervised by tsrun's shim: its live output, your input and terminal size",
  description:
    "Only a container whose process tsrun's own shim holds (create, run -d or exec -d without a supervising engine) can be attached. Output that came before is not replayed: see tsrun logs. The detach keys (default ctrl-p,ctrl-q) leave the container running; so does closing the terminal. Several clients may be attached at once.",
  positionals: { 'container-id': 'the name of the container' },
  flags: {
    exec: { type: 'string', describe: "attach to the process of that pid, exec'd with -d under the shim, instead of the container" },
    'no-stdin': { type: 'boolean', default: false, describe: 'do not send input to the container' },
    'detach-keys': { type: 'string', default: 'ctrl-p,ctrl-q', describe: 'key sequence that detaches, leaving the container running' },
  },
  examples: [
    ['tsrun run -d --bundle /srv/web web && tsrun attach web', 'run a container in the background, then follow it'],
    ['tsrun attach --detach-keys ctrl-x web', 'detach with ctrl-x instead'],
  ],
};

export const attachCommand = commandModule<AttachArgs>(ATTACH_DOC, (a) =>
  handle(async () => {
    const { attachContainer } = await import('../../runtime/verbs.js');
    return attachContainer(a.root, a['container-id'], { noStdin: a['no-stdin'], detachKeys: a['detach-keys'] }, a.exec === undefined ? undefined : parsePid('exec', a.exec));
  }),
);
