// What engines parse and rely on beyond a container's own behaviour (runc-compat.md §3): the JSON log, silent
// stderr on successful queries, and no process of the runtime's between a supervising caller and the container.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, IS_TSRUN, RUNTIME, baseConfig, pidAlive, waitExit } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

const repo = join(import.meta.dirname, '../..');
const PAYLOAD = join(repo, 'build/Release/tsrun-test-payload');
// Go's time.RFC3339 (containerd decodes `time` into a time.Time).
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function jsonLines(path: string): { level: string; msg: string; time: string }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

describe('--log with --log-format json', () => {
  it('a failed create leaves exactly one JSON error object (podman parses the whole file as one)', () => {
    const log = join(h.work, 'create-fail.json');
    const r = h.rt(['--log', log, '--log-format', 'json', 'create', '--bundle', join(h.work, 'no-such-bundle'), h.id()]);
    expect(r.status).toBe(1);
    const one = JSON.parse(readFileSync(log, 'utf8')) as { level: string; msg: string; time: string };
    expect(one.level).toBe('error');
    expect(one.msg).toContain('no-such-bundle');
    expect(one.msg).toContain('no such file or directory');
    expect(one.time).toMatch(RFC3339);
    // runc also prints the fatal error on stderr (CRI-O and conmon read it there).
    expect(r.stderr).toContain('no such file or directory');
  });

  it('every invocation appends valid JSON lines; the last error is the latest failure (containerd reports it)', () => {
    const log = join(h.work, 'appended.json');
    const id = h.id();
    const bundle = h.bundle(baseConfig(['sleep', '1000']));
    const g = ['--log', log, '--log-format=json'];
    expect(h.rt([...g, 'create', '--bundle', bundle, id]).status).toBe(0);
    expect(h.rt([...g, 'start', id]).status).toBe(0);
    expect(h.rt([...g, 'start', id]).status).toBe(1);
    const x = h.rt([...g, 'exec', id, 'no-such-program']);
    expect(x.status).toBe(255);
    expect(h.rt([...g, 'delete', '--force', id]).status).toBe(0);
    const lines = jsonLines(log);
    for (const l of lines) {
      expect(['debug', 'info', 'warning', 'error', 'fatal']).toContain(l.level);
      expect(l.time).toMatch(RFC3339);
    }
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(2);
    expect(errors[0]!.msg).toMatch(/cannot start an already running container/);
    expect(errors[1]!.msg).toContain('exec: "no-such-program": executable file not found in $PATH');
  });

  it('a usage error is a JSON line too, with exit 1', () => {
    const log = join(h.work, 'usage.json');
    const r = h.rt(['--log', log, '--log-format', 'json', 'no-such-command']);
    // runc 1.1.5 exits 3 here (urfave/cli's code); tsrun keeps exit 1 for every bad input.
    expect(r.status).toBe(IS_TSRUN ? 1 : 3);
    expect(jsonLines(log)).toEqual([expect.objectContaining({ level: 'error', msg: expect.stringContaining('no-such-command') })]);
  });
});

describe('successful queries keep stderr silent (go-runc and CRI-O read it combined with stdout)', () => {
  it('state, ps --format json, list, features and --version', () => {
    const id = h.id();
    const bundle = h.bundle(baseConfig(['sleep', '1000']));
    expect(h.rt(['run', '-d', '--bundle', bundle, id]).status).toBe(0);
    for (const args of [['state', id], ['ps', '--format', 'json', id], ['list', '--format', 'json'], ['features'], ['--version']]) {
      const r = h.rt(args);
      expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 0, stderr: '' });
    }
    expect(JSON.parse(h.rt(['features']).stdout)).toMatchObject({ ociVersionMin: expect.any(String), ociVersionMax: expect.any(String) });
    expect(h.rt(['--version']).stdout).toMatch(/^\S+ version \S+\ncommit: \S+\nspec: \d+\.\d+\.\d+/);
    // The engine that really runs tsrun-js is named (bun imitates a Node version in process.version).
    if (IS_TSRUN) expect(h.rt(['--version']).stdout).toMatch(/\nbun: \d+\.\d+\.\d+\nlibseccomp: \d/);
    expect(h.rt(['delete', '--force', id]).status).toBe(0);
  });
});

/** Runs the runtime under a child subreaper (as containerd's shim and conmon do) and collects what it reaps. */
function underSubreaper(args: string[]) {
  const p = spawn(PAYLOAD, ['subreaper', RUNTIME, '--root', h.root, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const lines = () => out.split('\n').filter(Boolean);
  // Resolves once the runtime itself has exited (the harness prints "ran …" then).
  const ran = new Promise<void>((resolve) =>
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (lines().some((l) => l.startsWith('ran '))) resolve();
    }),
  );
  const done = new Promise<void>((resolve) => p.on('close', () => resolve()));
  return { pid: p.pid!, lines, ran, done };
}

function parentOf(pid: number): number {
  return Number(/^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

describe('under a supervising caller (child subreaper)', () => {
  it('create leaves the init as the caller\'s direct child, and the caller reaps its exit status', async () => {
    const id = h.id();
    const bundle = h.bundle(baseConfig(['sh', '-c', 'exit 7']));
    const pidFile = join(h.work, `${id}.pid`);
    const s = underSubreaper(['create', '--bundle', bundle, '--pid-file', pidFile, id]);
    await s.ran;
    expect(s.lines()[0]).toMatch(/^ran \d+ exit 0$/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // Nothing of the runtime's sits between the caller and the init.
    expect(parentOf(pid)).toBe(s.pid);
    expect(h.rt(['start', id]).status).toBe(0);
    await s.done;
    expect(s.lines()).toContain(`reaped ${pid} exit 7`);
    expect(h.state(id).status).toBe('stopped');
    expect(h.rt(['delete', id]).status).toBe(0);
  });

  it('a signal that kills the init reaches the caller as such', async () => {
    const id = h.id();
    const bundle = h.bundle(baseConfig(['sleep', '1000']));
    const pidFile = join(h.work, `${id}.pid`);
    const s = underSubreaper(['run', '-d', '--bundle', bundle, '--pid-file', pidFile, id]);
    await s.ran;
    expect(s.lines()[0]).toMatch(/^ran \d+ exit 0$/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(parentOf(pid)).toBe(s.pid);
    expect(h.rt(['kill', id, '9']).status).toBe(0);
    await s.done;
    expect(s.lines()).toContain(`reaped ${pid} signal 9`);
    expect(h.rt(['delete', id]).status).toBe(0);
  });

  it('exec -d leaves the exec\'d process to the caller, which reaps its status', async () => {
    const id = h.id();
    const bundle = h.bundle(baseConfig(['sleep', '1000']));
    expect(h.rt(['run', '-d', '--bundle', bundle, id]).status).toBe(0);
    const pidFile = join(h.work, `${id}.exec.pid`);
    const s = underSubreaper(['exec', '-d', '--pid-file', pidFile, id, 'sh', '-c', 'sleep 0.3; exit 5']);
    await s.done;
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(s.lines()[0]).toMatch(/^ran \d+ exit 0$/);
    expect(s.lines()).toContain(`reaped ${pid} exit 5`);
    expect(pidAlive(h.state(id).pid)).toBe(true);
    const init = h.state(id).pid;
    expect(h.rt(['delete', '--force', id]).status).toBe(0);
    expect(waitExit(init)).toBe(true);
  });
});
