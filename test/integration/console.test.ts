import { spawnSync } from 'node:child_process';
import { closeSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native/addon.js';
import { Harness, IS_TSRUN, RUNTIME, baseConfig, processesUsing, stateDirExists, waitExit } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

/** Reads from the pty master until the slave side is gone (EIO) or `until` shows up. */
function readAll(fd: number, until?: string): string {
  let out = '';
  const buf = Buffer.alloc(4096);
  for (;;) {
    const [ev = 0] = native().poll([fd], [1], 10_000);
    if (!ev) break;
    let n = 0;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch {
      break; // EIO: every slave fd is closed
    }
    if (n <= 0) break;
    out += buf.toString('utf8', 0, n);
    if (until && out.includes(until)) break;
  }
  return out;
}

describe('terminal through --console-socket', () => {
  it('sends the pty master over the socket and makes the slave the container console', () => {
    const addon = native();
    const sock = join(h.work, 'console.sock');
    const listener = addon.listenUnix(sock);
    const id = h.id('tty');
    const cfg = baseConfig(['sh', '-c', 'tty; stty size; ls -l /dev/console; read line; echo "got:$line"; exit 5']);
    cfg.process.terminal = true;
    cfg.process.consoleSize = { height: 30, width: 100 };
    const bundle = h.bundle(cfg);
    const pidFile = join(h.work, 'tty.pid');
    const c = h.rt(['create', '--bundle', bundle, '--console-socket', sock, '--pid-file', pidFile, id]);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    // The message was queued before create returned: accepting now still gets it (containerd does this).
    const conn = addon.accept(listener);
    const { fd: master, data } = addon.recvFd(conn);
    closeSync(conn);
    closeSync(listener);
    // runc sends the master's name; receivers only need the payload to be non-empty.
    expect(data).toBe('/dev/ptmx');
    const pid = h.state(id).pid;

    expect(h.rt(['start', id]).status).toBe(0);
    const first = readAll(master, 'console');
    writeSync(master, 'hello\n');
    const out = (first + readAll(master)).replace(/\r/g, '');
    closeSync(master);
    expect(out).toMatch(/^\/dev\/pts\/\d+$/m);
    expect(out).toContain('30 100\n');
    expect(out).toMatch(/^crw--w----\s+1 root\s+\S+\s+136,\s+\d+ .* \/dev\/console$/m);
    expect(out).toContain('got:hello');
    expect(waitExit(pid)).toBe(true);
    expect(h.rt(['delete', id]).status).toBe(0);
  });

  it('refuses a terminal without a console socket when detached (and no shim may hold it), and a socket without a terminal', () => {
    const id = h.id('notty');
    const tty = baseConfig(['true']);
    tty.process.terminal = true;
    // tsrun's shim would hold the terminal; without it tsrun answers as runc does.
    const r = h.rt([...(IS_TSRUN ? ['--shim', 'never'] : []), 'create', '--bundle', h.bundle(tty), id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot allocate tty');
    expect(stateDirExists(h, id)).toBe(false);

    const id2 = h.id('notty');
    const r2 = h.rt(['create', '--bundle', h.bundle(baseConfig(['true'])), '--console-socket', join(h.work, 'x.sock'), id2]);
    expect(r2.status).toBe(1);
    expect(stateDirExists(h, id2)).toBe(false);
  });

  it('fails cleanly when the console socket does not exist', () => {
    const id = h.id('nosock');
    const cfg = baseConfig(['true']);
    cfg.process.terminal = true;
    const bundle = h.bundle(cfg);
    const r = h.rt(['create', '--bundle', bundle, '--console-socket', join(h.work, 'missing.sock'), id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no such file or directory/i);
    expect(stateDirExists(h, id)).toBe(false);
    expect(processesUsing(bundle)).toEqual([]);
  });
});

describe('foreground run with a terminal', () => {
  // A real pty around the runtime, resized while the container runs: python3's pty module is the driver.
  const driver = `
import os, pty, sys, fcntl, termios, struct, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
out = b''
def pump(until, timeout=20):
    global out
    end = time.time() + timeout
    while until not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return
            if not d:
                return
            out += d
pump(b'size1')
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 50, 120, 0, 0))
time.sleep(0.5)  # a runtime handles SIGWINCH asynchronously: let it resize before the container looks again
os.write(fd, b'go\\r')
pump(b'size2')
pump(b'\\x00never')
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.stdout.write('\\nEXIT %d\\n' % os.waitstatus_to_exitcode(status))
`;

  it('relays the terminal, follows resizes and exits with the status', () => {
    const id = h.id('fgtty');
    const cfg = baseConfig(['sh', '-c', 'stty size; echo size1; read x; stty size; echo size2; exit 3']);
    cfg.process.terminal = true;
    const bundle = h.bundle(cfg);
    const r = spawnSync('python3', ['-c', driver, RUNTIME, '--root', h.root, 'run', '--bundle', bundle, id], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toContain('24 80\nsize1');
    expect(out).toContain('50 120\nsize2');
    expect(out).toContain('EXIT 3');
    expect(stateDirExists(h, id)).toBe(false);
  });
});
