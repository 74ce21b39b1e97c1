import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface IdArgs extends GlobalArgs {
  'container-id': string;
}

export const PAUSE_DOC: CommandDoc = {
  name: 'pause',
  command: 'pause <container-id>',
  synopsis: '<container-id>',
  summary: 'suspend every process of the container (cgroup freezer)',
  description: 'Freezes the container\'s cgroup: its processes stop being scheduled until resume. Its status becomes "paused".',
  positionals: { 'container-id': 'the name of the container' },
  flags: {},
  examples: [['tsrun pause web', 'freeze every process of web']],
};

export const RESUME_DOC: CommandDoc = {
  name: 'resume',
  command: 'resume <container-id>',
  synopsis: '<container-id>',
  summary: 'resume every process of a paused container',
  description: 'Thaws the container\'s cgroup; its status becomes "running" again.',
  positionals: { 'container-id': 'the name of the container' },
  flags: {},
  examples: [['tsrun resume web', 'let a paused web run again']],
};

export const pauseCommand = commandModule<IdArgs>(PAUSE_DOC, (a) =>
  handle(async () => {
    const { pauseContainer } = await import('../../runtime/verbs.js');
    pauseContainer(a.root, a['container-id']);
  }),
);

export const resumeCommand = commandModule<IdArgs>(RESUME_DOC, (a) =>
  handle(async () => {
    const { resumeContainer } = await import('../../runtime/verbs.js');
    resumeContainer(a.root, a['container-id']);
  }),
);
