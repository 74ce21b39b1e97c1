import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CGROUP_FILE_LIMIT, CgroupFiles, errCode, isGone, nodeIO } from '../../src/cgroups/io.js';

describe('CgroupFiles.writeEach', () => {
  it('writes each value with its own write(2) through one open of the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsrun-io-'));
    try {
      writeFileSync(join(dir, 'devices.allow'), 'old');
      new CgroupFiles(nodeIO).writeEach(dir, 'devices.allow', ['c 1:3 rwm', 'c 1:5 rwm']);
      // Truncated once at the open, then both writes follow each other.
      expect(readFileSync(join(dir, 'devices.allow'), 'utf8')).toBe('c 1:3 rwm' + 'c 1:5 rwm');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("names the value whose write failed, as runc does (a write to /dev/full fails with ENOSPC)", () => {
    expect(() => new CgroupFiles(nodeIO).writeEach('/dev', 'full', ['c 1:3 rwm', 'c 1:5 rwm'])).toThrow(
      'failed to write "c 1:3 rwm": write /dev/full: no space left on device',
    );
  });

  it('a file that is not there fails at the open', () => {
    expect(() => new CgroupFiles(nodeIO).writeEach('/nonexistent-tsrun', 'devices.allow', ['a'])).toThrow(/open \/nonexistent-tsrun\/devices\.allow/);
  });
});

describe('nodeIO.readFile', () => {
  it('reads a file, and refuses one longer than the limit instead of reading it all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsrun-io-'));
    try {
      writeFileSync(join(dir, 'cgroup.procs'), '1\n2\n');
      expect(nodeIO.readFile(join(dir, 'cgroup.procs'))).toBe('1\n2\n');
      writeFileSync(join(dir, 'memory.stat'), '');
      truncateSync(join(dir, 'memory.stat'), CGROUP_FILE_LIMIT + 1);
      expect(() => nodeIO.readFile(join(dir, 'memory.stat'))).toThrow(`${join(dir, 'memory.stat')}: larger than the limit of 16 MiB`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('a file that is not there fails with its code, which says the cgroup is gone', () => {
    let caught: unknown;
    try {
      nodeIO.readFile('/nonexistent-tsrun/cgroup.procs');
    } catch (err) {
      caught = err;
    }
    expect(errCode(caught)).toBe('ENOENT');
    expect(isGone(caught)).toBe(true);
  });
});
