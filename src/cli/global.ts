/** Global options (they come before the command, as with runc) and the argv conventions callers rely on. */
import type { Argv } from 'yargs';
import { defaultRoot } from '../runtime/rootless.js';
import { lastOf } from '../util/numbers.js';
import { UPDATE_FLAGS } from '../runtime/update-flags.js';
import { yargsOptions, type FlagTable } from './flags.js';

export interface GlobalArgs {
  root: string;
  log?: string;
  'log-format': 'text' | 'json';
  debug: boolean;
  'systemd-cgroup': boolean;
  rootless?: string;
  criu?: string;
  shim: 'auto' | 'always' | 'never';
}

export const GLOBAL_FLAGS: FlagTable = {
  root: {
    type: 'string',
    default: defaultRoot(),
    describe: 'root directory for storage of container state (/run/tsrun; $XDG_RUNTIME_DIR/tsrun for an ordinary user)',
  },
  log: { type: 'string', describe: 'log file (default: stderr)' },
  'log-format': { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'log format' },
  debug: { type: 'boolean', default: false, describe: 'enable debug logging' },
  'systemd-cgroup': { type: 'boolean', default: false, describe: 'cgroupsPath is "slice:prefix:name" for the systemd cgroup driver' },
  // No default here: a default would hide a bare `spec --rootless` (yargs gives a string flag's default, not "").
  rootless: {
    type: 'string',
    describe: 'cgroups are optional (a cgroup that cannot be made is left out unless limits need it): true, false, or auto (the default: for anyone but real root)',
  },
  shim: {
    type: 'string',
    choices: ['auto', 'always', 'never'],
    default: 'auto',
    describe: "who supervises a detached container: tsrun's shim unless the caller adopts it (auto), always, or never",
  },
  criu: { type: 'string', hidden: true, describe: 'ignored (checkpoint/restore is not supported)' },
};

/** `hidden`: parsed but left out of the help (a command's help does not repeat the global options). */
export function withGlobalOptions<T>(y: Argv<T>, hidden = false): Argv<T & GlobalArgs> {
  // A repeated global flag keeps its last value, as runc's parser does (yargs would make it an array).
  const options = Object.fromEntries(
    Object.entries(yargsOptions(GLOBAL_FLAGS, true)).map(([k, o]) => [
      k,
      { ...o, ...(o.type === 'string' ? { coerce: lastOf } : {}), ...(hidden ? { hidden: true } : {}) },
    ]),
  );
  return y.options(options) as unknown as Argv<T & GlobalArgs>;
}

const GLOBAL_VALUE_FLAGS = new Set(['root', 'log', 'log-format', 'rootless', 'criu', 'shim']);
const GLOBAL_BOOL_FLAGS = new Set(['debug', 'systemd-cgroup', 'help', 'h', 'version', 'v']);

/** Long option names of every command, so that `-name` (single dash, accepted by runc's parser) can be read. */
export const LONG_NAMES = new Set([
  ...GLOBAL_VALUE_FLAGS,
  ...GLOBAL_BOOL_FLAGS,
  'bundle', 'pid-file', 'console-socket', 'no-pivot', 'no-new-keyring', 'preserve-fds', 'pidfd-socket',
  'detach', 'keep', 'no-subreaper', 'force', 'all', 'format', 'quiet', 'resources', 'interval', 'stats',
  'process', 'tty', 'cwd', 'env', 'user', 'additional-gids', 'cap', 'no-new-privs', 'apparmor', 'process-label',
  ...Object.keys(UPDATE_FLAGS), 'l3-cache-schema', 'mem-bw-schema',
  'ignore-paused', 'cgroup', 'stdin', 'log-size-max', 'log-dir', 'follow', 'tail', 'timestamps', 'no-stdin', 'detach-keys', 'exec',
]);

/** Flags whose value may be "-" (stdin); yargs would read a lone "-" as no value. */
const DASH_VALUE_FLAGS = new Set(['--resources', '-r', '--process', '-p']);

/**
 * `-root x` → `--root x`, `-pid-file=x` → `--pid-file=x`; short flags (-b, -d, -a) are left alone.
 * `--resources -` → `--resources=-`.
 */
export function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const m = /^-([a-z][a-z0-9-]+)(=.*)?$/.exec(a);
    const arg = m && LONG_NAMES.has(m[1]!) ? `-${a}` : a;
    const prev = out[out.length - 1];
    if (arg === '-' && prev !== undefined && DASH_VALUE_FLAGS.has(prev)) out[out.length - 1] = `${prev}=-`;
    else out.push(arg);
  }
  return out;
}

export interface EarlyGlobals {
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  /** Index of the command in argv (-1 if none). */
  commandIndex: number;
  version: boolean;
  /** --root was given (otherwise the default root, which for a user is made here first, as runc does). */
  rootGiven?: boolean;
}

/**
 * Reads the global flags before yargs runs, so that the log file exists (and gets the error) even when the
 * command line itself is wrong.
 */
export function scanGlobals(argv: string[]): EarlyGlobals {
  const out: EarlyGlobals = { logFormat: 'text', debug: false, commandIndex: -1, version: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (!a.startsWith('-')) {
      out.commandIndex = i;
      break;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) continue;
    const name = m[1]!;
    let value = m[2];
    if (GLOBAL_VALUE_FLAGS.has(name) && value === undefined) value = argv[++i];
    if (name === 'log') out.log = value;
    else if (name === 'root') out.rootGiven = true;
    else if (name === 'log-format' && (value === 'json' || value === 'text')) out.logFormat = value;
    else if (name === 'debug') out.debug = value === undefined || value === 'true';
    else if (name === 'version' || name === 'v') out.version = true;
  }
  return out;
}

/**
 * Commands whose arguments after the container id belong to something else (ps options; later exec's
 * command): like runc, flag parsing stops at the container id. The rest is moved behind "--", where yargs
 * leaves it untouched. Value-taking flags of the command are listed so their values are not taken for the id.
 */
const TRAILING: Record<string, Set<string>> = {
  ps: new Set(['--format', '-f']),
  exec: new Set([
    '--process', '-p', '--pid-file', '--console-socket', '--cwd', '--env', '-e', '--user', '-u', '--additional-gids', '-g',
    '--cap', '-c', '--apparmor', '--process-label', '--preserve-fds', '--cgroup', '--pidfd-socket',
  ]),
};

export function withTrailingArgs(argv: string[], commandIndex: number): string[] {
  const cmd = argv[commandIndex];
  const valueFlags = cmd === undefined ? undefined : TRAILING[cmd];
  if (!valueFlags) return argv;
  for (let i = commandIndex + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv;
    if (a.startsWith('-')) {
      if (valueFlags.has(a)) i++;
      continue;
    }
    return [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)];
  }
  return argv;
}
