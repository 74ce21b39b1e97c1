import { describe, expect, it } from 'vitest';
import { normalizeArgv, scanGlobals } from '../../src/cli/global.js';

describe('normalizeArgv', () => {
  it('turns single-dash long options into double-dash ones', () => {
    expect(normalizeArgv(['-root', '/x', 'create', '-bundle', 'b', 'id'])).toEqual(['--root', '/x', 'create', '--bundle', 'b', 'id']);
  });

  it('keeps an attached value', () => {
    expect(normalizeArgv(['run', '-pid-file=/p', 'id'])).toEqual(['run', '--pid-file=/p', 'id']);
  });

  it('handles hyphenated boolean options', () => {
    expect(normalizeArgv(['run', '-no-subreaper', '-no-pivot', '-detach', 'id'])).toEqual([
      'run',
      '--no-subreaper',
      '--no-pivot',
      '--detach',
      'id',
    ]);
  });

  it('leaves short flags, unknown single-dash words, double-dash options and values alone', () => {
    const argv = ['-b', '-d', '-a', '-la', '--root', '-x', 'kill', '-KILL', 'id'];
    expect(normalizeArgv(argv)).toEqual(argv);
  });

  it('attaches a "-" (stdin) value to the flags that accept one', () => {
    expect(normalizeArgv(['update', '-resources', '-', 'id'])).toEqual(['update', '--resources=-', 'id']);
    expect(normalizeArgv(['update', '-r', '-', 'id'])).toEqual(['update', '-r=-', 'id']);
    expect(normalizeArgv(['kill', 'id', '-'])).toEqual(['kill', 'id', '-']);
  });
});

describe('scanGlobals', () => {
  it('reads --log, --log-format and --debug given as separate values before the command', () => {
    expect(scanGlobals(['--log', '/l', '--log-format', 'json', '--debug', 'state', 'id'])).toEqual({
      log: '/l',
      logFormat: 'json',
      debug: true,
      commandIndex: 5,
      version: false,
    });
  });

  it('reads the --flag=value forms', () => {
    const g = scanGlobals(['--log=/l2', '--log-format=json', '--debug=false', 'list']);
    expect(g).toMatchObject({ log: '/l2', logFormat: 'json', debug: false, commandIndex: 3 });
  });

  it('skips the values of other global options to find the command', () => {
    expect(scanGlobals(['--root', '/run/x', '--systemd-cgroup', 'create', 'id']).commandIndex).toBe(3);
    expect(scanGlobals(['--rootless', 'true', '--criu', 'c', 'delete', 'x']).commandIndex).toBe(4);
  });

  it('ignores options after the command', () => {
    const g = scanGlobals(['--log', '/a', 'create', '--log', '/b', '--debug', '--log-format', 'json', 'id']);
    expect(g).toEqual({ log: '/a', logFormat: 'text', debug: false, commandIndex: 2, version: false });
  });

  it('ignores an unknown --log-format value', () => {
    expect(scanGlobals(['--log-format', 'xml', 'list']).logFormat).toBe('text');
  });

  it('sees --version and -v without a command', () => {
    expect(scanGlobals(['--version'])).toMatchObject({ version: true, commandIndex: -1 });
    expect(scanGlobals(['-v'])).toMatchObject({ version: true, commandIndex: -1 });
  });

  it('stops at "--"', () => {
    expect(scanGlobals(['--', 'create']).commandIndex).toBe(-1);
  });

  it('reports no command for an empty argv', () => {
    expect(scanGlobals([])).toEqual({ logFormat: 'text', debug: false, commandIndex: -1, version: false });
  });
});

describe('sizes', () => {
  it('reads bytes and k/m/g suffixes', async () => {
    const { parseSize } = await import('../../src/cli/commands/create.js');
    expect(parseSize('0')).toBe(0);
    expect(parseSize('512')).toBe(512);
    expect(parseSize('2k')).toBe(2048);
    expect(parseSize('10m')).toBe(10 * 1024 * 1024);
    expect(parseSize('1G')).toBe(1024 ** 3);
    expect(() => parseSize('1.5m')).toThrow(/not a size/);
  });
});

describe('single-dash long flags', () => {
  it('knows every long flag of every command (runc reads -name as --name)', async () => {
    const { LONG_NAMES } = await import('../../src/cli/global.js');
    const { COMMANDS } = await import('../../src/cli/registry.js');
    const missing = COMMANDS.flatMap(({ doc }) => Object.keys(doc.flags)).filter((n) => !LONG_NAMES.has(n));
    expect(missing).toEqual([]);
  });
});
