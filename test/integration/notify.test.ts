import { closeSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native/addon.js';
import { Harness, IS_TSRUN, baseConfig, pidAlive } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

describe('NOTIFY_SOCKET', () => {
  it('start returns after the container says READY=1, which reaches the host socket with MAINPID', async () => {
    const addon = native();
    const hostSock = join(h.work, 'systemd-notify.sock');
    const systemd = addon.unixDgram(hostSock, true);
    const env = { ...process.env, NOTIFY_SOCKET: hostSock };
    const id = h.id('notify');
    const cfg = baseConfig(['sh', '-c', 'echo $NOTIFY_SOCKET > /seen; sleep 0.3; tsrun-test-payload sd-notify READY=1; sleep 1000']);
    const bundle = h.bundle(cfg);
    expect(h.rt(['create', '--bundle', bundle, id], { env }).status).toBe(0);
    const pid = h.state(id).pid;

    const start = h.rtAsync(['start', id], { env });
    let exited = false;
    const done = new Promise<number | null>((resolve) => start.on('exit', (c) => ((exited = true), resolve(c))));
    const recv = () => {
      const [ev = 0] = addon.poll([systemd], [1], 10_000);
      expect(ev & 1).toBe(1);
      const buf = Buffer.alloc(4096);
      return buf.toString('utf8', 0, readSync(systemd, buf, 0, buf.length, null));
    };
    expect(recv()).toBe('READY=1\n');
    expect(exited).toBe(false);
    expect(recv()).toBe(`MAINPID=${pid}\n`);
    // The barrier (runc ≥ 1.2, not Debian's 1.1.5): a pipe's write end, which systemd closes once caught up.
    if (IS_TSRUN) {
      const [ev = 0] = addon.poll([systemd], [1], 10_000);
      expect(ev & 1).toBe(1);
      const barrier = addon.recvFd(systemd);
      expect(barrier.data).toBe('BARRIER=1');
      closeSync(barrier.fd);
    }
    expect(await done).toBe(0);
    closeSync(systemd);
    expect(pidAlive(pid)).toBe(true);
    expect(h.state(id).status).toBe('running');
    expect(readFileSync(join(bundle, 'rootfs', 'seen'), 'utf8')).toBe('/run/notify/notify.sock\n');
    expect(h.rt(['delete', '--force', id]).status).toBe(0);
  });
});
