import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CgroupFiles } from '../../src/cgroups/io.js';
import { mkdirAll } from '../../src/cgroups/manager-common.js';
import { cleanup, FakeCgroupIO, tempRoot } from './fake-cgroupfs.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) cleanup(r);
});

function fixture(): { root: string; io: FakeCgroupIO; files: CgroupFiles } {
  const root = tempRoot();
  roots.push(root);
  mkdirSync(join(root, 'sys/fs/cgroup/pids'), { recursive: true });
  const io = new FakeCgroupIO(root);
  return { root, io, files: new CgroupFiles(io) };
}

describe('mkdirAll', () => {
  it('makes only the missing directories, top first, and reports them', () => {
    const { root, io, files } = fixture();
    const leaf = join(root, 'sys/fs/cgroup/pids/a/b/c');
    expect(mkdirAll(files, leaf).map((d) => io.rel(d))).toEqual(['/sys/fs/cgroup/pids/a', '/sys/fs/cgroup/pids/a/b', '/sys/fs/cgroup/pids/a/b/c']);
    expect(statSync(leaf).isDirectory()).toBe(true);
    expect(io.mkdirs).toEqual(['/sys/fs/cgroup/pids/a', '/sys/fs/cgroup/pids/a/b', '/sys/fs/cgroup/pids/a/b/c']);
  });

  it('makes nothing where the directory is there (a trailing slash too)', () => {
    const { root, io, files } = fixture();
    expect(mkdirAll(files, join(root, 'sys/fs/cgroup/pids/'))).toEqual([]);
    expect(mkdirAll(files, join(root, 'sys/fs/cgroup/pids/x'))).toHaveLength(1);
    expect(mkdirAll(files, join(root, 'sys/fs/cgroup/pids/x'))).toEqual([]);
    expect(io.mkdirs).toEqual(['/sys/fs/cgroup/pids/x']);
  });

  it('fails with the directory that could not be made', () => {
    const { root, files } = fixture();
    const file = join(root, 'sys/fs/cgroup/pids/cgroup.procs');
    writeFileSync(file, '');
    expect(() => mkdirAll(files, join(file, 'sub'))).toThrow(/mkdir .*cgroup\.procs\/sub/);
  });
});
