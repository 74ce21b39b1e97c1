/**
 * The command line as a person meets it: help for every command, unknown commands, missing arguments, a
 * terminal that is not there, JSON errors on stderr, a config.json with a syntax error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import { usageLine } from '../../src/cli/command-def.js';
import { GLOBAL_FLAGS } from '../../src/cli/global.js';
import { Harness, IS_TSRUN, RUNTIME, baseConfig } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

describe.runIf(IS_TSRUN)('help', () => {
  it('tsrun --help, -h and help list every command once with its summary, and the global options once', () => {
    const outs = [['--help'], ['-h'], ['help']].map((a) => h.rt(a));
    for (const r of outs) expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(outs[1]!.stdout).toBe(outs[0]!.stdout);
    expect(outs[2]!.stdout).toBe(outs[0]!.stdout);
    const text = outs[0]!.stdout;
    for (const { doc } of COMMANDS) {
      expect(text).toMatch(new RegExp(`^  tsrun ${doc.name}\\b`, 'm'));
      expect(text.replace(/\s+/g, ' ')).toContain(doc.summary.replace(/\s+/g, ' ').slice(0, 40));
    }
    for (const [name, f] of Object.entries(GLOBAL_FLAGS)) {
      const shown = (text.match(new RegExp(`--${name}(?![\\w-])`, 'g')) ?? []).length;
      expect(shown, name).toBe(f.hidden ? 0 : 1);
    }
  });

  it.each(COMMANDS.map((c) => [c.doc.name, c] as const))('tsrun %s --help: usage, every flag with its default, an example', (name, { doc }) => {
    const r = h.rt([name, '--help']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout.startsWith(usageLine(doc) + '\n')).toBe(true);
    if (doc.command.includes('<container-id>')) expect(r.stdout.split('\n')[0]).toContain('<container-id>');
    for (const [flag, f] of Object.entries(doc.flags)) {
      if (f.hidden) continue;
      const line = r.stdout.split('\n').find((l) => new RegExp(`--${flag}(?![\\w-])`).test(l));
      expect(line, flag).toBeDefined();
      if (f.default !== undefined) expect(r.stdout, flag).toContain(`[default: ${JSON.stringify(f.default)}]`);
    }
    expect(r.stdout).toMatch(/\nExamples:\n {2}\S/);
    // Global options are described once, in tsrun --help.
    expect(r.stdout).not.toMatch(/^\s+--root\b/m);
    expect(h.rt(['help', name]).stdout).toBe(r.stdout);
  });
});

describe.runIf(IS_TSRUN)('what the build ships beside the executable', () => {
  it('a manual page per command, tsrun(8), and the bash and zsh completion', () => {
    const dist = dirname(realpathSync(RUNTIME));
    for (const { doc } of COMMANDS) expect(existsSync(join(dist, 'man', `tsrun-${doc.name}.8`)), doc.name).toBe(true);
    expect(existsSync(join(dist, 'man', 'tsrun.8'))).toBe(true);
    expect(readFileSync(join(dist, 'completion', 'tsrun.bash'), 'utf8')).toContain('complete -F _tsrun tsrun');
    expect(readFileSync(join(dist, 'completion', '_tsrun'), 'utf8').startsWith('#compdef tsrun')).toBe(true);
  });

  it("runs no code from the caller's directory (bun would preload what a bunfig.toml there names)", () => {
    const dir = join(h.work, 'caller-dir');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["./preload.ts"]\n');
    writeFileSync(join(dir, 'preload.ts'), `require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'preloaded'))}, 'x');\n`);
    const r = h.rt(['spec', '--bundle', dir], { cwd: dir });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(existsSync(join(dir, 'config.json'))).toBe(true);
    expect(existsSync(join(dir, 'preloaded'))).toBe(false);
  });
});

describe('usage errors', () => {
  it.runIf(IS_TSRUN)('an unknown command is refused with the nearest names', () => {
    const r = h.rt(['lis']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tsrun: unknown command "lis"; did you mean "list"? ("tsrun --help" lists the commands)\n');
    expect(h.rt(['frobnicate']).stderr).toBe('tsrun: unknown command "frobnicate" ("tsrun --help" lists the commands)\n');
  });

  it("a missing or extra argument gets runc's words and the command's help on stdout", () => {
    for (const [args, words] of [
      [['kill'], '"kill" requires a minimum of 1 argument(s)'],
      [['state'], '"state" requires exactly 1 argument(s)'],
      [['state', 'a', 'b'], '"state" requires exactly 1 argument(s)'],
      [['exec'], '"exec" requires a minimum of 1 argument(s)'],
      [['delete'], '"delete" requires exactly 1 argument(s)'],
    ] as const) {
      const r = h.rt([...args]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stdout).toMatch(/^Incorrect Usage\.\n\n/);
      // runc logs it as a logrus line (quotes escaped); tsrun prints it plainly.
      expect(r.stderr.replace(/\\"/g, '"')).toContain(`${IS_TSRUN ? 'tsrun' : 'runc'}: ${words}`);
    }
  });
});

describe('--log-format json without --log', () => {
  it('writes the error to stderr as one JSON line (native and JS verbs)', () => {
    for (const args of [['state', 'no-such'], ['pause', 'no-such']]) {
      const r = h.rt(['--log-format', 'json', ...args]);
      expect(r.status).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', msg: 'container does not exist', time: expect.any(String) });
    }
  });
});

describe('a terminal that is not there', () => {
  it('run with "terminal": true and no controlling terminal fails at once, leaving nothing', () => {
    const cfg = baseConfig(['sh']);
    cfg.process.terminal = true;
    const id = h.id('notty');
    // setsid: no controlling terminal even when the suite runs from one.
    const r = spawnSync('setsid', ['-w', RUNTIME, '--root', h.root, 'run', '--bundle', h.bundle(cfg), id], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('open /dev/tty: no such device or address');
    expect(existsSync(join(h.root, id))).toBe(false);
  });
});

describe('config.json with a JSON syntax error', () => {
  it('names the line and column', () => {
    const dir = join(h.work, 'badjson');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{\n  "ociVersion": "1.0.2",\n  "process": {\n    "args": ["sh",]\n  }\n}\n');
    const r = h.rt(['create', '--bundle', dir, h.id('bj')]);
    expect(r.status).toBe(1);
    if (IS_TSRUN) expect(r.stderr).toContain('(root): invalid JSON: line 4, column 19: unexpected "]", expected a value');
    else expect(r.stderr).toContain("invalid character ']'");
  });
});
