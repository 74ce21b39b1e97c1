/**
 * CVE-2019-5736: the launcher never runs from a file a container could write. Node spawns it from an fd of
 * sealedExe (a read-only overlay of the file, or a sealed memfd copy); started from its file all the same, it
 * copies itself into a sealed memfd and executes that, keeping its fds.
 */
import { closeSync, constants, openSync, readFileSync, readSync, readlinkSync, statSync, writeSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { launcherPath, native } from '../../src/native/addon.js';
import { MSG_SIZE, Msg, Step } from '../../src/native/contract.js';

const O_PATH = 0o10000000;
const [major = 0, minor = 0] = release().split('.').map(Number);
// Overlay layers given by fd, one of them a detached mount: Linux 6.15. Mounting needs root.
const overlayExpected = process.getuid?.() === 0 && (major > 6 || (major === 6 && minor >= 15));

/** errno code of opening `path` for appending and appending a byte; 'ok' if both worked. */
function tryAppend(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code!;
  }
  try {
    writeSync(fd, 'x');
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code!;
  } finally {
    closeSync(fd);
  }
}

describe('sealedExe', () => {
  it(`gives the launcher's content through ${overlayExpected ? 'a read-only overlay' : 'a sealed copy'}, which cannot be written`, () => {
    const { fd, how } = native().sealedExe(launcherPath());
    try {
      expect(how).toBe(overlayExpected ? 'overlay' : 'memfd');
      const via = `/proc/self/fd/${fd}`;
      expect(readFileSync(via).equals(readFileSync(launcherPath()))).toBe(true);
      const host = statSync(launcherPath());
      const st = statSync(via);
      expect(st.dev === host.dev && st.ino === host.ino).toBe(false);
      // The overlay refuses the open (read-only superblock); the memfd's seals refuse the write.
      expect(tryAppend(via)).toBe(how === 'overlay' ? 'EROFS' : 'EPERM');
      expect(readFileSync(launcherPath()).equals(readFileSync(via))).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('fails on a missing file, naming it', () => {
    expect(() => native().sealedExe('/nonexistent/tsrun-launcher')).toThrow(/realpath \/nonexistent\/tsrun-launcher/);
  });
});

describe('the launcher started from its file', () => {
  it('re-executes itself from a sealed memfd first, keeping its name and its control socket', () => {
    const addon = native();
    const [mine, theirs] = addon.socketpair();
    let pid: number;
    try {
      pid = addon.spawn(launcherPath(), ['tsrun-launcher', '3'], [], [0, 1, 2, theirs]);
    } finally {
      closeSync(theirs);
    }
    let held = -1;
    try {
      // It waits for its plan on fd 3; by then it runs sealed (the copy is made before anything else).
      const comm = () => readFileSync(`/proc/${pid}/comm`, 'utf8');
      const deadline = Date.now() + 10_000;
      while (!(readlinkSync(`/proc/${pid}/exe`).startsWith('/memfd:') && comm() === 'tsrun-launcher\n') && Date.now() < deadline);
      expect(readlinkSync(`/proc/${pid}/exe`)).toBe('/memfd:tsrun-launcher (deleted)');
      expect(comm()).toBe('tsrun-launcher\n');
      held = openSync(`/proc/${pid}/exe`, O_PATH | constants.O_RDONLY);
      // An empty plan: the launcher reports it on the control socket it kept across the re-exec.
      writeSync(mine, Buffer.alloc(4));
      const m = Buffer.alloc(MSG_SIZE);
      expect(readSync(mine, m, 0, MSG_SIZE, null)).toBe(MSG_SIZE);
      expect([m.readUInt32LE(0), m.readInt32LE(4)]).toEqual([Msg.ERROR, Step.PLAN]);
      expect(addon.waitpid(pid, 0).status).toBe(1 << 8);
      // Nothing executes the copy any more, and still it cannot be written.
      expect(tryAppend(`/proc/self/fd/${held}`)).toBe('EPERM');
    } finally {
      if (held >= 0) closeSync(held);
      closeSync(mine);
    }
  });
});
