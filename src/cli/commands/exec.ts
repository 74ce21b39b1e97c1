import { TsrunError, describeNodeError } from '../../errors.js';
import { parseId } from '../../spec/ids.js';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { warmCgroupMigration } from '../../runtime/cgroup-warm.js';
import { type FlagTable } from '../flags.js';
import { commandModule, type CommandDoc } from '../command-def.js';
import { parseCount } from '../../util/numbers.js';

interface ExecCliArgs extends GlobalArgs {
  'container-id': string;
  process?: string;
  detach: boolean;
  'pid-file'?: string;
  'console-socket'?: string;
  tty?: boolean;
  cwd?: string;
  env?: string | string[];
  user?: string;
  'additional-gids'?: string | string[];
  cap?: string | string[];
  'no-new-privs'?: boolean;
  apparmor?: string;
  'process-label'?: string;
  'preserve-fds': string;
  'ignore-paused': boolean;
  cgroup?: string | string[];
  'pidfd-socket'?: string;
  '--'?: string[];
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export const EXEC_FLAGS: FlagTable = {
  process: { alias: 'p', type: 'string', describe: 'OCI process JSON (other process options are then ignored)' },
  detach: { alias: 'd', type: 'boolean', default: false, describe: 'return once the process runs' },
  'pid-file': { type: 'string', describe: 'file to write the process id to' },
  'console-socket': { type: 'string', describe: 'AF_UNIX socket that receives the pty master fd' },
  tty: { alias: 't', type: 'boolean', describe: 'allocate a pseudo-TTY' },
  cwd: { type: 'string', describe: 'current working directory in the container' },
  env: { alias: 'e', type: 'string', describe: 'set an environment variable (repeatable)' },
  user: { alias: 'u', type: 'string', describe: 'UID[:GID]' },
  'additional-gids': { alias: 'g', type: 'string', describe: 'additional gid (repeatable)' },
  cap: { alias: 'c', type: 'string', describe: 'add a capability (repeatable)' },
  'no-new-privs': { type: 'boolean', describe: 'set no_new_privs' },
  apparmor: { type: 'string', describe: 'AppArmor profile' },
  'process-label': { type: 'string', describe: 'SELinux process label' },
  'preserve-fds': { type: 'string', default: '0', describe: 'pass N more fds (from 3) to the process' },
  'ignore-paused': { type: 'boolean', default: false, describe: 'exec even if the container is paused' },
  cgroup: { type: 'string', describe: 'run in an existing sub-cgroup: PATH, or CONTROLLER[,CONTROLLER...]:PATH (repeatable)' },
  'pidfd-socket': { type: 'string', describe: 'AF_UNIX stream socket that receives a pidfd of the process' },
};

export const EXEC_DOC: CommandDoc = {
  name: 'exec',
  command: 'exec <container-id>',
  synopsis: '<container-id> <command> [args...]',
  summary: 'run a new process inside a running container',
  description:
    "The process joins the container's namespaces and cgroup and gets its defaults from the container (user, capabilities, rlimits, seccomp, AppArmor, no_new_privs), changed by the options below, or is described whole by --process. In the foreground tsrun waits and exits with the process's status; a failure of exec itself exits 255. -t gives it a terminal: tsrun's own if stdin is a terminal, else the master goes to --console-socket.",
  positionals: { 'container-id': 'the name of a running container' },
  flags: EXEC_FLAGS,
  examples: [
    ['tsrun exec web ps', 'run ps in web'],
    ['tsrun exec -t web sh', 'an interactive shell with a terminal'],
    ['tsrun exec -u 1000:1000 -e DEBUG=1 --cwd /tmp web env', 'as another user, with one more variable, in /tmp'],
  ],
};

export const execCommand = commandModule<ExecCliArgs>(EXEC_DOC, (a) =>
    handle(async () => {
      warmCgroupMigration(true);
      try {
        const gids = list(a['additional-gids']).map((g) => {
          const syntax = () => `invalid additional-gids value ${JSON.stringify(g)}`;
          if (!/^\d+$/.test(g)) throw new TsrunError(syntax());
          return parseId(g, syntax);
        });
        const preserveFds = parseCount('preserve-fds', a['preserve-fds']);
        const { execContainer } = await import('../../runtime/verbs.js');
        return await execContainer({
          root: a.root,
          id: a['container-id'],
          processFile: a.process,
          args: (a['--'] ?? []).map(String), // yargs turns numeric words into numbers
          detach: a.detach,
          pidFile: a['pid-file'],
          consoleSocket: a['console-socket'],
          tty: a.tty,
          cwd: a.cwd,
          env: list(a.env),
          user: a.user,
          additionalGids: gids,
          caps: list(a.cap),
          noNewPrivs: a['no-new-privs'],
          apparmor: a.apparmor,
          processLabel: a['process-label'],
          preserveFds,
          ignorePaused: a['ignore-paused'],
          shim: a.shim,
          cgroups: list(a.cgroup),
          pidfdSocket: a['pidfd-socket'],
        });
      } catch (err) {
        // runc: "exec failed: …", status 255, so a caller can tell a failed exec from the program's status.
        throw new TsrunError(`exec failed: ${err instanceof TsrunError ? err.message : describeNodeError(err)}`, 255);
      }
    }, 255),
);
