import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { rootlessSpec } from '../../runtime/rootless.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface SpecArgs extends GlobalArgs {
  bundle: string;
  rootless?: string;
}

export const SPEC_DOC: CommandDoc = {
  name: 'spec',
  command: 'spec',
  synopsis: '',
  summary: 'write a default config.json into the bundle',
  description:
    'Writes BUNDLE/config.json: a container running "sh" with a terminal, in new pid, network, ipc, uts and mount namespaces, with the rootfs in BUNDLE/rootfs. It refuses to overwrite an existing file. The process has a terminal ("terminal": true), so run it from a terminal, or set "terminal" to false and "args" to what should run. --rootless writes a config for an unprivileged user (a user namespace mapping that user).',
  positionals: {},
  flags: { bundle: { alias: 'b', type: 'string', default: '.', describe: 'bundle directory' } },
  examples: [
    ['mkdir -p web/rootfs && tsrun spec --bundle web', 'a default config.json beside an empty rootfs'],
    ['tsrun spec --rootless', 'a config for an ordinary user'],
  ],
};

export const specCommand = commandModule<SpecArgs>(SPEC_DOC, (a) =>
  handle(async () => {
    const { writeDefaultSpec } = await import('../../runtime/verbs.js');
    writeDefaultSpec(a.bundle, rootlessSpec(a.rootless));
  }),
);
