/**
 * Every failure of the addon is an Error with Node's shape (addon/napi/napi_error.h): errno negative as node:fs's,
 * code its name, syscall the step, path where there is one, and the message in tsrun's wording.
 */
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeNodeError, isNativeError } from '../../src/errors.js';
import { native } from '../../src/native/addon.js';

const dir = mkdtempSync(join(tmpdir(), 'tsrun-napi-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): Record<string, unknown> & Error {
  try {
    fn();
  } catch (err) {
    return err as Record<string, unknown> & Error;
  }
  throw new Error('did not throw');
}

/** A closed fd number (opened then closed, so nothing else holds it between the two lines). */
function badFd(): number {
  const fd = openSync('/dev/null', 'r');
  closeSync(fd);
  return fd;
}

describe('addon errors', () => {
  it('openInRoot on a missing path: -ENOENT, ENOENT, openat2, the path', () => {
    const e = thrown(() => native().openInRoot(dir, 'missing/file', 0));
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ errno: -2, code: 'ENOENT', syscall: 'openat2', path: 'missing/file', native: true });
    expect(e.message).toBe('openat2 missing/file: No such file or directory');
    expect(isNativeError(e)).toBe(true);
    // printed as is, as before the addon's errors carried `code`
    expect(describeNodeError(e)).toBe('openat2 missing/file: No such file or directory');
  });

  it('openInRoot on a missing root: the root is the path', () => {
    const root = join(dir, 'no-root');
    expect(thrown(() => native().openInRoot(root, 'x', 0))).toMatchObject({ errno: -2, code: 'ENOENT', syscall: 'open', path: root });
  });

  it('has the sign and the code of node:fs for the same failure', () => {
    const mine = thrown(() => native().mkfifo(join(dir, 'no-dir', 'fifo'), 0o600));
    const node = thrown(() => openSync(join(dir, 'no-dir', 'fifo'), 'r'));
    expect(mine).toMatchObject({ errno: node.errno, code: node.code, syscall: 'mkfifo', path: join(dir, 'no-dir', 'fifo') });
  });

  it('flock on a bad fd: -EBADF, EBADF, flock, no path', () => {
    const e = thrown(() => native().flock(badFd(), 2));
    expect(e).toMatchObject({ errno: -9, code: 'EBADF', syscall: 'flock' });
    expect(e.message).toBe('flock: Bad file descriptor');
    expect('path' in e).toBe(false);
  });

  it('poll, accept, nsType and pidfdOpen carry errno, code and syscall', () => {
    expect(thrown(() => native().accept(badFd()))).toMatchObject({ errno: -9, code: 'EBADF', syscall: 'accept4' });
    expect(thrown(() => native().nsType('/dev/null'))).toMatchObject({ errno: -25, code: 'ENOTTY', syscall: 'ioctl(NS_GET_NSTYPE)', path: '/dev/null' });
    expect(thrown(() => native().connectUnix(join(dir, 'no-sock')))).toMatchObject({ errno: -2, code: 'ENOENT', syscall: 'connect' });
    expect(thrown(() => native().pidfdOpen(0x7ffffff0))).toMatchObject({ errno: -3, code: 'ESRCH', syscall: 'pidfd_open' });
  });

  it('bpf with a bad fd: -EBADF, EBADF, bpf', () => {
    const e = thrown(() => native().bpfQueryDevice(badFd()));
    expect(e).toMatchObject({ errno: -9, code: 'EBADF', syscall: 'bpf', native: true });
    expect(e.message).toBe('BPF_PROG_QUERY: Bad file descriptor');
    expect(thrown(() => native().bpfAttachDevice(badFd(), badFd()))).toMatchObject({ errno: -9, code: 'EBADF', syscall: 'bpf' });
  });

  it('bpfLoadDeviceProgram of no instructions fails with errno, code and syscall', () => {
    const e = thrown(() => native().bpfLoadDeviceProgram(Buffer.alloc(0), 'GPL'));
    expect(e.errno).toBeLessThan(0);
    expect(e.code).toMatch(/^E[A-Z0-9]+$/);
    expect(e.syscall).toBe('bpf');
    expect(e.message).toMatch(/^BPF_PROG_LOAD: /);
  });

  it('systemdUnitJob without a bus: errno, code and the failed step', () => {
    // Invalid arguments fail before any bus is touched; a missing bus socket fails at sd_bus_open_system.
    expect(thrown(() => native().systemdUnitJob('StopUnit', 'x.scope', [], 0))).toMatchObject({
      errno: -34,
      code: 'ERANGE',
      syscall: 'systemdUnitJob timeout',
    });
    const prev = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = `unix:path=${join(dir, 'no-bus')}`;
    try {
      const e = thrown(() => native().systemdUnitJob('StopUnit', 'tsrun-test-none.scope', [], 2000));
      expect(e.errno).toBeLessThan(0);
      expect(e.code).toMatch(/^E[A-Z0-9]+$/);
      expect(typeof e.syscall).toBe('string');
      expect(e.message.startsWith(`${e.syscall as string}: `)).toBe(true);
      expect('dbusError' in e).toBe(false);
    } finally {
      if (prev === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      else process.env.DBUS_SYSTEM_BUS_ADDRESS = prev;
    }
  });
});
