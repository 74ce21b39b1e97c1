import { execFileSync } from 'node:child_process';
import { closeSync, lstatSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputFileError, SysError } from '../../src/errors.js';
import { readFdBounded, readFileBounded, writeFileAtomic } from '../../src/util/fs.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsrun-fs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(tmp, `d${n++}`);
  execFileSync('mkdir', ['-m', '0777', d]);
  return d;
};

describe('writeFileAtomic', () => {
  it('never writes through a symlink planted at a temporary name or at the target', () => {
    const dir = fresh();
    const victims = ['a', 'b', 'c'].map((v) => {
      const p = join(tmp, `victim-${n}-${v}`);
      writeFileSync(p, 'precious\n');
      return p;
    });
    // The names earlier versions used for the temporary file, and the target itself.
    symlinkSync(victims[0]!, join(dir, '.pid'));
    symlinkSync(victims[1]!, join(dir, `pid.tmp${process.pid}`));
    symlinkSync(victims[2]!, join(dir, 'pid'));
    writeFileAtomic(join(dir, 'pid'), '123', 0o644);
    for (const v of victims) expect(readFileSync(v, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(dir, 'pid')).isFile()).toBe(true);
    expect(readFileSync(join(dir, 'pid'), 'utf8')).toBe('123');
    // Nothing but the planted links and the file itself.
    expect(readdirSync(dir).sort()).toEqual(['.pid', 'pid', `pid.tmp${process.pid}`].sort());
  });

  it('replaces an existing file and leaves no temporary file behind', () => {
    const dir = fresh();
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old');
    writeFileAtomic(file, Buffer.from('new'), 0o600);
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('removes its temporary file when the rename fails', () => {
    const dir = fresh();
    execFileSync('mkdir', [join(dir, 'target')]); // a directory: rename(2) refuses
    expect(() => writeFileAtomic(join(dir, 'target'), 'x')).toThrow();
    expect(readdirSync(dir)).toEqual(['target']);
  });
});

describe('readFileBounded', () => {
  const LIMIT = 1024;

  it('reads a regular file within the limit', () => {
    const f = join(fresh(), 'config.json');
    writeFileSync(f, '{"a":1}');
    expect(readFileBounded(f, LIMIT).toString()).toBe('{"a":1}');
  });

  it('reads /proc files, whose size is reported as 0', () => {
    expect(readFileBounded('/proc/self/status', 1 << 20).toString()).toMatch(/^Name:/);
  });

  it.each(['/dev/zero', '/dev/urandom', '/dev/full', '/dev/null'])('refuses %s at once, naming it', (dev) => {
    expect(() => readFileBounded(dev, LIMIT)).toThrow(InputFileError);
    expect(() => readFileBounded(dev, LIMIT)).toThrow(`${dev}: not a regular file (a character device)`);
  });

  it('refuses a symlink to a device, naming the path given', () => {
    const f = join(fresh(), 'config.json');
    symlinkSync('/dev/zero', f);
    expect(() => readFileBounded(f, LIMIT)).toThrow(`${f}: not a regular file (a character device)`);
  });

  it('refuses a FIFO without blocking', () => {
    const f = join(fresh(), 'config.json');
    execFileSync('mkfifo', [f]);
    expect(() => readFileBounded(f, LIMIT)).toThrow(`${f}: not a regular file (a FIFO)`);
  });

  it('refuses a directory', () => {
    const d = fresh();
    expect(() => readFileBounded(d, LIMIT)).toThrow(`${d}: not a regular file (a directory)`);
  });

  it('refuses a file larger than the limit, naming the file and the limit', () => {
    const f = join(fresh(), 'big.json');
    writeFileSync(f, '');
    truncateSync(f, LIMIT + 1);
    expect(() => readFileBounded(f, LIMIT)).toThrow(`${f}: larger than the limit of 1 KiB`);
    truncateSync(f, LIMIT);
    expect(readFileBounded(f, LIMIT).length).toBe(LIMIT);
  });

  it('names a missing file the way runc does', () => {
    const f = join(tmp, 'missing', 'config.json');
    expect(() => readFileBounded(f, LIMIT)).toThrow(`open ${f}: no such file or directory`);
  });
});

describe('readFdBounded', () => {
  it('reads a pipe (stdin) up to the limit when non-regular input is allowed', () => {
    const f = join(fresh(), 'in');
    writeFileSync(f, 'x'.repeat(10));
    const fd = openSync(f, 'r');
    try {
      expect(() => readFdBounded(fd, 'stdin', 5, { regularOnly: false })).toThrow('stdin: larger than the limit of 5 bytes');
    } finally {
      closeSync(fd);
    }
    const zero = openSync('/dev/zero', 'r');
    try {
      expect(() => readFdBounded(zero, 'stdin', 1 << 16, { regularOnly: false })).toThrow('stdin: larger than the limit of 64 KiB');
    } finally {
      closeSync(zero);
    }
  });

  it('keeps the errno code of a failed read (a cgroup being removed reads ENODEV)', () => {
    const fd = openSync(fresh(), 'r'); // a directory: read(2) says EISDIR
    try {
      let caught: unknown;
      try {
        readFdBounded(fd, 'the dir', 1 << 16, { regularOnly: false });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SysError);
      expect((caught as SysError).code).toBe('EISDIR');
      expect((caught as SysError).message).toBe('read the dir: is a directory');
    } finally {
      closeSync(fd);
    }
  });
});
