import { writeSync } from 'node:fs';
import { release } from 'node:os';
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { SPEC_VERSION, buildInfo } from '../version.js';

export const featuresCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'features',
  describe: 'show what this runtime supports (runtime-spec features JSON)',
  handler: () =>
    handle(async () => {
      const [{ features }, { native }] = await Promise.all([import('../../runtime/features.js'), import('../../native/addon.js')]);
      const { version, commit } = buildInfo();
      const addon = native();
      const f = features({
        specVersion: SPEC_VERSION,
        version,
        commit,
        libseccompVersion: addon.seccompVersion(),
        kernelRelease: release(),
        seccompArchKnown: (name) => addon.seccompArchKnown(name),
      });
      writeSync(1, JSON.stringify(f, null, '    ') + '\n');
    }),
};
