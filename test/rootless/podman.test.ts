/**
 * Rootless podman driving the runtime under test (`podman --runtime RUNTIME`), as the suite's user with its
 * private storage and containers.conf (global-setup.ts). Podman makes the user namespace itself (the user's id
 * and its subordinate ranges, through newuidmap) and runs conmon and the runtime inside it as uid 0, with
 * XDG_RUNTIME_DIR set: the runtime must keep its state under $XDG_RUNTIME_DIR/<name> there too, and its config
 * has no user namespace of its own unless --userns asks for one (keep-id). Reference: runc 1.1.5.
 */
import { statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE, RUNTIME, STATE_ROOT, W, asUser, foreignFiles, ok, processesLeft, uniqueId, userDir } from './helpers.js';

const podman = (args: string[], timeout = 90_000) => asUser(['podman', '--runtime', RUNTIME, ...args], { timeout });

const mapLines = (text: string | undefined) =>
  (text ?? '')
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));

afterAll(() => {
  podman(['rm', '--all', '--force']);
});

describe('rootless podman with the runtime under test', () => {
  it('run --rm: root inside, mapped to the user and its subordinate range', () => {
    const r = ok(podman(['run', '--rm', '--network', 'none', IMAGE, 'sh', '-c', 'id; echo ---; cat /proc/self/uid_map']));
    const [id, map] = r.stdout.split('---\n').map((x) => x ?? '');
    expect(id ?? '').toMatch(/^uid=0\(root\) gid=0\(root\)/);
    expect(mapLines(map)).toEqual([
      [0, W.uid, 1],
      [1, W.subStart, W.subCount],
    ]);
  });

  it('run -d, exec, logs, stop, rm: the runtime\'s state is under $XDG_RUNTIME_DIR/<name> and goes with rm', () => {
    const name = uniqueId('pm');
    ok(podman(['run', '-d', '--name', name, '--network', 'none', IMAGE, 'sh', '-c', 'echo started; trap "exit 0" TERM; while :; do sleep 0.1; done']));
    const full = ok(podman(['inspect', '--format', '{{.Id}}', name])).stdout.trim();
    expect(existsSync(join(STATE_ROOT, full))).toBe(true);
    expect(ok(podman(['exec', name, 'id', '-u'])).stdout.trim()).toBe('0');
    expect(ok(podman(['exec', name, 'sh', '-c', 'echo $$ > /dev/null; cat /proc/1/cmdline'])).stdout).toContain('sh');
    expect(ok(podman(['logs', name])).stdout).toContain('started');
    ok(podman(['stop', '-t', '5', name]));
    expect(ok(podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name])).stdout.trim()).toBe('exited 0');
    ok(podman(['rm', name]));
    expect(existsSync(join(STATE_ROOT, full))).toBe(false);
    expect(processesLeft(10_000)).toEqual([]);
  });

  it('a bind mount: files made by the container\'s root are the user\'s on the host', () => {
    const data = userDir();
    ok(podman(['run', '--rm', '--network', 'none', '-v', `${data}:/data`, IMAGE, 'sh', '-c', 'touch /data/f && mkdir /data/d']));
    for (const f of ['f', 'd']) {
      const st = statSync(join(data, f));
      expect([st.uid, st.gid]).toEqual([W.uid, W.gid]);
    }
  });

  it('--read-only: the root filesystem cannot be written, /tmp can', () => {
    const r = podman(['run', '--rm', '--network', 'none', '--read-only', IMAGE, 'sh', '-c', 'touch /x 2>&1; touch /tmp/y && echo tmp-ok']);
    expect(r.stdout).toContain('Read-only file system');
    expect(r.stdout).toContain('tmp-ok');
  });

  it('--userns=keep-id: the user\'s own ids inside, through a user namespace the runtime makes inside podman\'s', () => {
    const data = userDir();
    const r = ok(podman(['run', '--rm', '--network', 'none', '--userns=keep-id', '-v', `${data}:/data`, IMAGE, 'sh', '-c', 'id -u; id -g; touch /data/k']));
    expect(r.stdout.trim().split('\n')).toEqual([String(W.uid), String(W.gid)]);
    const st = statSync(join(data, 'k'));
    expect([st.uid, st.gid]).toEqual([W.uid, W.gid]);
  });

  it('nothing is left: no container, no process but podman\'s pause process, nothing in shared places', () => {
    ok(podman(['rm', '--all', '--force']));
    expect(ok(podman(['ps', '--all', '--quiet'])).stdout.trim()).toBe('');
    expect(processesLeft(10_000)).toEqual([]);
    expect(foreignFiles()).toEqual([]);
  });
});
