import { native } from '../../native/addon.js';
import { writeSync } from 'node:fs';
import { osModule } from '../../util/builtins.js';
import { SPEC_VERSION, buildInfo } from '../version.js';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

export const FEATURES_DOC: CommandDoc = {
  name: 'features',
  command: 'features',
  synopsis: '',
  summary: 'show what this runtime supports (runtime-spec features JSON)',
  description:
    'Prints the runtime-spec "features" document: the spec versions, hooks, mount options, namespaces, capabilities, cgroup, seccomp (actions, operators, and the architectures the linked libseccomp knows), AppArmor and SELinux support. Engines read it to decide what they may ask for.',
  positionals: {},
  flags: {},
  examples: [['tsrun features', 'print the features document']],
};

export const featuresCommand = commandModule<GlobalArgs>(FEATURES_DOC, () =>
  handle(async () => {
    const { features } = await import('../../runtime/verbs.js');
    const { version, commit } = buildInfo();
    const addon = native();
    const f = features({
      specVersion: SPEC_VERSION,
      version,
      commit,
      libseccompVersion: addon.seccompVersion(),
      kernelRelease: osModule().release(),
      seccompArchKnown: (name) => addon.seccompArchKnown(name),
    });
    writeSync(1, JSON.stringify(f, null, '    ') + '\n');
  }),
);
