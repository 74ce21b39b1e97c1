import { describe, expect, it } from 'vitest';
import yargs from 'yargs/yargs';
import { CREATE_FLAGS, checkCreateArgs, createCommand } from '../../src/cli/commands/create.js';
import { EXEC_FLAGS, execCommand } from '../../src/cli/commands/exec.js';
import { RUN_FLAGS, runCommand } from '../../src/cli/commands/run.js';
import { parseFast, type FastCommand } from '../../src/cli/fast.js';
import { normalizeArgv, scanGlobals, withGlobalOptions, withTrailingArgs } from '../../src/cli/global.js';

const FAST: Record<string, FastCommand> = {
  create: { flags: CREATE_FLAGS, trailing: false, check: checkCreateArgs },
  run: { flags: RUN_FLAGS, trailing: false, check: checkCreateArgs },
  exec: { flags: EXEC_FLAGS, trailing: true },
};

/** What yargs hands the command's handler for the same line (the arguments the handlers read). */
async function viaYargs(argv: string[]): Promise<Record<string, unknown>> {
  const norm = normalizeArgv(argv);
  const line = withTrailingArgs(norm, scanGlobals(norm).commandIndex);
  let got: Record<string, unknown> = {};
  const capture = (c: typeof createCommand | typeof runCommand | typeof execCommand) => ({ ...c, handler: (a: Record<string, unknown>) => void (got = a) });
  await withGlobalOptions(yargs(line))
    .command(capture(createCommand) as never)
    .command(capture(runCommand) as never)
    .command(capture(execCommand) as never)
    .strictOptions()
    .parserConfiguration({ 'boolean-negation': false, 'camel-case-expansion': false, 'populate--': true })
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync();
  return got;
}

/** The fast parser's arguments agree with yargs' on every key the fast parser sets. */
async function agrees(argv: string[]) {
  const fast = parseFast(argv, FAST);
  expect(fast, argv.join(' ')).toBeDefined();
  const y = await viaYargs(argv);
  for (const [k, v] of Object.entries(fast!.args)) expect(y[k], `${argv.join(' ')}: ${k}`).toEqual(v);
  return fast!.args;
}

describe('the fast parser (create, run, exec without yargs)', () => {
  it('reads what engines and people type exactly as yargs does', async () => {
    await agrees(['--root', '/run/containerd/runc/default', '--log', '/b/log.json', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'c1']);
    await agrees(['--systemd-cgroup', '--root=/r', 'create', '-b', '/b', '--no-pivot', '--no-new-keyring', '--preserve-fds', '2', 'c1']);
    await agrees(['-root', '/r', '-log-format=json', 'create', '-bundle', '/b', '-pid-file=/p', 'c1']);
    await agrees(['--shim', 'never', 'run', '-d', '--keep', '--bundle', '/b', 'c1']);
    await agrees(['run', '--detach=false', '--stdin=true', '--log-size-max', '2k', 'c1']);
    const e = await agrees(['exec', '--process', '/tmp/p.json', '--detach', '--pid-file', '/b/e.pid', '--console-socket', '/tmp/s', 'c1']);
    expect(e['--']).toBeUndefined();
    const f = await agrees(['exec', '-e', 'A=1', '-e', 'B=2', '-u', '1000:1000', '--cwd', '/tmp', '-t', 'c1', 'sh', '-c', 'echo -d --x']);
    expect(f.env).toEqual(['A=1', 'B=2']);
    expect(f['--']).toEqual(['sh', '-c', 'echo -d --x']);
  });

  it('fills in the defaults', () => {
    expect(parseFast(['create', 'c1'], FAST)!.args).toMatchObject({ root: '/run/tsrun', 'log-format': 'text', shim: 'auto', bundle: '.', 'preserve-fds': '0', 'container-id': 'c1' });
  });

  it('leaves to yargs anything it does not plainly read', () => {
    for (const line of [
      ['create'],
      ['create', 'a', 'b'],
      ['create', '--help', 'c1'],
      ['--help'],
      ['create', '--bogus', 'c1'],
      ['create', '--bundle'],
      ['create', '-bd', 'c1'],
      ['--log-format', 'xml', 'create', 'c1'],
      ['--root', 'a', '--root', 'b', 'create', 'c1'],
      ['create', '--no-pivot=maybe', 'c1'],
      ['create', '--preserve-fds', '-1', 'c1'],
      ['create', '--log-size-max', '1e3', 'c1'],
      ['start', 'c1'],
      ['exec'],
    ])
      expect(parseFast(line, FAST), line.join(' ')).toBeUndefined();
  });
});
