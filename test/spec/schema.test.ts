import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, TsrunError } from '../../src/errors.js';
import { formatIssues, formatPath } from '../../src/spec/format-issues.js';
import { loadSpec, parseProcess, parseProcessText, parseSpec, parseSpecText } from '../../src/spec/load.js';
import { linuxResourcesSchema, processSchema, specSchema } from '../../src/spec/schema.js';

const fixtures = fileURLToPath(new URL('../../spec-fixtures/', import.meta.url));
const validDir = join(fixtures, 'valid');
const invalidDir = join(fixtures, 'invalid');

const jsonFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

function problemsOf(fn: () => unknown): { error: ConfigError; problems: string[] } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const error = err as ConfigError;
    return { error, problems: error.problems };
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('valid fixtures', () => {
  const names = jsonFiles(validDir);

  it('has at least 8 of them', () => {
    expect(names.length).toBeGreaterThanOrEqual(8);
  });

  it.each(names)('%s parses', (name) => {
    const spec = parseSpecText(read(validDir, name), name);
    expect(spec.ociVersion).toMatch(/^1\./);
  });

  it('keeps every known field of the full 1.3.0 config', () => {
    const raw = JSON.parse(read(validDir, 'full-1.3.0.json')) as unknown;
    // Nothing in it is unknown, so stripping must not lose anything.
    expect(parseSpec(raw)).toEqual(raw);
  });

  it('keeps every field of runc spec output', () => {
    for (const name of ['runc-spec.json', 'runc-spec-rootless.json', 'v1.0.0.json', 'legacy-1.1.0.json']) {
      const raw = JSON.parse(read(validDir, name)) as unknown;
      expect(parseSpec(raw), name).toEqual(raw);
    }
  });

  it('strips unknown properties at every level', () => {
    const spec = parseSpecText(read(validDir, 'unknown-properties.json'));
    const text = JSON.stringify(spec);
    expect(text).not.toMatch(/"x-/);
    expect(spec).toEqual({
      ociVersion: '1.3.0',
      root: { path: 'rootfs', readonly: false },
      process: {
        cwd: '/',
        args: ['sh'],
        user: { uid: 1000, gid: 1000 },
        rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }],
      },
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
      hooks: { poststop: [{ path: '/bin/true' }] },
      linux: {
        namespaces: [{ type: 'pid' }],
        resources: { memory: { limit: 1048576 } },
        seccomp: {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] }],
        },
      },
    });
  });

  it('accepts a config without process', () => {
    const spec = parseSpecText(read(validDir, 'no-process.json'));
    expect(spec.process).toBeUndefined();
  });

  it('accepts an unknown capability name (a later stage warns about it)', () => {
    const spec = parseSpecText(read(validDir, 'bad-capability-name.json'));
    expect(spec.process?.capabilities?.bounding).toContain('CAP_CHWON');
  });

  it('accepts the ociVersion forms of 1.0.0 to 1.3.x', () => {
    for (const v of ['1.0.0', '1.0.2-dev', '1.1.0-rc.1', '1.2.1', '1.3.0', '1.3.0+dev', '1.3.7-rc.1']) {
      expect(specSchema.safeParse({ ociVersion: v }).success, v).toBe(true);
    }
    for (const v of ['2.0.0', '0.9.0', 'abc', '1.0', 'v1.0.0', '1.0.0-', '01.0.0', '']) {
      expect(specSchema.safeParse({ ociVersion: v }).success, v).toBe(false);
    }
  });

  it('accepts uint64 and int64 extremes as JSON.parse delivers them', () => {
    const spec = parseSpecText(
      '{"ociVersion":"1.0.0","process":{"cwd":"/","args":["sh"],' +
        '"rlimits":[{"type":"RLIMIT_NOFILE","soft":18446744073709551615,"hard":18446744073709551615}]},' +
        '"linux":{"resources":{"memory":{"limit":9223372036854775807,"swap":-9223372036854775808}}}}',
    );
    expect(spec.process?.rlimits?.[0]?.hard).toBe(2 ** 64);
    expect(spec.linux?.resources?.memory?.swap).toBe(-(2 ** 63));
  });
});

describe('invalid fixtures', () => {
  const names = jsonFiles(invalidDir);

  it('has at least 15 of them, each with a .expected file', () => {
    expect(names.length).toBeGreaterThanOrEqual(15);
    const all = readdirSync(invalidDir);
    for (const name of names) expect(all, name).toContain(name.replace(/\.json$/, '.expected'));
  });

  it.each(names)('%s yields exactly its .expected lines', (name) => {
    const expected = read(invalidDir, name.replace(/\.json$/, '.expected')).split('\n').filter((l) => l !== '');
    const { error, problems } = problemsOf(() => parseSpecText(read(invalidDir, name), name));
    expect(error.file).toBe(name);
    if (name === 'not-json.json') {
      // The rest of the line is Node's own JSON.parse wording, which varies between Node versions:
      // for this fixture only, the .expected file holds a prefix and the line is compared with startsWith.
      expect(expected).toEqual(['(root): invalid JSON']);
      expect(problems).toHaveLength(1);
      expect(problems[0]?.startsWith('(root): invalid JSON: ')).toBe(true);
    } else {
      expect(problems).toEqual(expected);
    }
    for (const line of problems) expect(error.message).toContain(line);
    expect(error.message.startsWith(`invalid ${name}:\n`)).toBe(true);
  });

  it('lists every problem of a file with many errors', () => {
    const { problems } = problemsOf(() => parseSpecText(read(invalidDir, 'many-errors.json')));
    expect(problems.length).toBeGreaterThanOrEqual(20);
  });
});

describe('formatIssues / formatPath', () => {
  it('writes paths the way they are addressed in config.json', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['process', 'args'])).toBe('process.args');
    expect(formatPath(['linux', 'namespaces', 2, 'type'])).toBe('linux.namespaces[2].type');
    expect(formatPath(['hooks', 'prestart', 1, 'path'])).toBe('hooks.prestart[1].path');
    expect(formatPath(['linux', 'sysctl', 'net.ipv4.ip_forward'])).toBe('linux.sysctl["net.ipv4.ip_forward"]');
    expect(formatPath(['annotations', 'a"b'])).toBe('annotations["a\\"b"]');
    expect(formatPath(['annotations', ''])).toBe('annotations[""]');
    expect(formatPath([0, 'x'])).toBe('[0].x');
  });

  it('keeps zod messages', () => {
    const r = z.object({ a: z.number(), b: z.enum(['x', 'y']) }).safeParse({ a: 'no', b: 'z' });
    expect(r.success).toBe(false);
    if (!r.success) {
      expect(formatIssues(r.error)).toEqual([
        'a: Expected number, received string',
        "b: Invalid enum value. Expected 'x' | 'y', received 'z'",
      ]);
    }
  });
});

describe('loadSpec', () => {
  it('reads <bundle>/config.json', () => {
    const bundle = mkdtempSync(join(tmpdir(), 'tsrun-spec-'));
    try {
      writeFileSync(join(bundle, 'config.json'), read(validDir, 'minimal.json'));
      expect(loadSpec(bundle).process?.args).toEqual(['/bin/true']);
    } finally {
      rmSync(bundle, { recursive: true, force: true });
    }
  });

  it('names the absolute config.json path of a bad config', () => {
    const bundle = mkdtempSync(join(tmpdir(), 'tsrun-spec-'));
    try {
      writeFileSync(join(bundle, 'config.json'), read(invalidDir, 'missing-process-args.json'));
      const { error, problems } = problemsOf(() => loadSpec(bundle));
      expect(error.file).toBe(join(bundle, 'config.json'));
      expect(problems).toEqual(['process.args: Required']);
    } finally {
      rmSync(bundle, { recursive: true, force: true });
    }
  });

  it('reports a missing config.json like runc', () => {
    const bundle = mkdtempSync(join(tmpdir(), 'tsrun-spec-'));
    rmSync(bundle, { recursive: true, force: true });
    let caught: unknown;
    try {
      loadSpec(bundle);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TsrunError);
    expect(caught).not.toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toBe(`open ${bundle}/config.json: no such file or directory`);
  });

  it('resolves a relative bundle path to an absolute one in the message', () => {
    expect(() => loadSpec('no-such-bundle-dir-xyz')).toThrow(
      `open ${join(process.cwd(), 'no-such-bundle-dir-xyz')}/config.json: no such file or directory`,
    );
  });
});

describe('parseProcess', () => {
  it('validates a process object on its own', () => {
    const raw = JSON.parse(read(validDir, 'full-1.3.0.json')) as { process: unknown };
    const proc = parseProcess(raw.process, 'process.json');
    expect(proc.args).toEqual(['/usr/bin/app', '--serve']);
    expect(proc.user).toMatchObject({ uid: 1000, gid: 1000 });
    expect(parseProcessText('{"cwd":"/","args":["ls"],"extra":1}', 'process.json')).toEqual({ cwd: '/', args: ['ls'] });
  });

  it('reports problems relative to the process object', () => {
    const { error, problems } = problemsOf(() =>
      parseProcess({ cwd: 'tmp', user: { uid: 0 }, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1 }] }, '/tmp/process.json'),
    );
    expect(error.file).toBe('/tmp/process.json');
    expect(problems).toEqual([
      'cwd: must be an absolute path',
      'args: Required',
      'rlimits[0].hard: Required',
      'user.gid: Required',
    ]);
  });

  it('turns broken JSON into one problem', () => {
    const { problems } = problemsOf(() => parseProcessText('{', 'p.json'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\(root\): invalid JSON: /);
  });
});

describe('number ranges', () => {
  it('keeps device node numbers in range', () => {
    const issues = (linux: unknown) => {
      const r = specSchema.safeParse({ ociVersion: '1.3.0', linux });
      return r.success ? [] : formatIssues(r.error);
    };
    expect(issues({ devices: [{ type: 'c', path: '/dev/x', major: -1, minor: 4294967296, fileMode: 8630 }] })).toEqual([
      'linux.devices[0].major: must be in range 0-4095 (12 bits)',
      'linux.devices[0].minor: must be in range 0-1048575 (20 bits)',
    ]);
    // Cgroup device rules: -1 is the wildcard, any other negative number would act as one in the BPF filter.
    expect(issues({ resources: { devices: [{ allow: true, type: 'a', major: -1, minor: -1 }] } })).toEqual([]);
    expect(issues({ resources: { devices: [{ allow: true, type: 'c', major: -2, minor: 4294967296 }] } })).toEqual([
      'linux.resources.devices[0].major: must be -1 (any) or in range 0-4294967295',
      'linux.resources.devices[0].minor: must be -1 (any) or in range 0-4294967295',
    ]);
  });
});

describe('ranges of numbers that reach a syscall', () => {
  const ID = 'uids and gids must be in range 0-2147483647';
  const issues = (spec: Record<string, unknown>) => {
    const r = specSchema.safeParse({ ociVersion: '1.3.0', ...spec });
    return r.success ? [] : formatIssues(r.error);
  };
  const proc = (p: Record<string, unknown>) => issues({ process: { cwd: '/', args: ['sh'], ...p } });
  const procIssues = (p: Record<string, unknown>) => {
    const r = processSchema.safeParse({ cwd: '/', args: ['sh'], ...p });
    return r.success ? [] : formatIssues(r.error);
  };

  it("refuses uid and gid -1 ((uid_t)-1 means 'unchanged' to setresuid: root) and anything past 2^31-1, in runc's words", () => {
    for (const user of [{ uid: 4294967295, gid: 0 }, { uid: 0, gid: 4294967295 }, { uid: 2147483648, gid: 0 }, { uid: -1, gid: 0 }]) {
      const key = user.uid !== 0 ? 'uid' : 'gid';
      expect(proc({ user }), JSON.stringify(user)).toEqual([`process.user.${key}: ${ID}`]);
      // exec --process validates with the same schema, paths relative to the process object.
      expect(procIssues({ user }), JSON.stringify(user)).toEqual([`user.${key}: ${ID}`]);
    }
    expect(proc({ user: { uid: 2147483647, gid: 2147483647, additionalGids: [0, 2147483647] } })).toEqual([]);
    expect(proc({ user: { uid: 0, gid: 0, additionalGids: [10, 4294967295] } })).toEqual([`process.user.additionalGids[1]: ${ID}`]);
    expect(proc({ user: { uid: 0, gid: 0, additionalGids: new Array(65537).fill(1) } })).toEqual([
      'process.user.additionalGids: at most 65536 groups (NGROUPS_MAX)',
    ]);
  });

  it('keeps umask a file mode creation mask (0xffffffff would mean "keep the umask" to the launcher)', () => {
    expect(proc({ user: { uid: 0, gid: 0, umask: 0o777 } })).toEqual([]);
    expect(proc({ user: { uid: 0, gid: 0, umask: 4294967295 } })).toEqual(['process.user.umask: must be a file mode creation mask, 0-0777']);
  });

  it('keeps id mappings inside 32 bits, as the kernel writes them: size >= 1, start + size <= 4294967295', () => {
    const userns = { namespaces: [{ type: 'user' }] };
    const m = (containerID: number, hostID: number, size: number) => [{ containerID, hostID, size }];
    expect(issues({ linux: { ...userns, uidMappings: m(0, 100000, 65536), gidMappings: m(0, 4294901759, 65536) } })).toEqual([]);
    expect(issues({ linux: { ...userns, uidMappings: m(0, 4294967295, 1), gidMappings: m(4294967295, 0, 1) } })).toEqual([
      'linux.uidMappings[0].hostID: hostID + size must not exceed 4294967295',
      'linux.gidMappings[0].containerID: containerID + size must not exceed 4294967295',
    ]);
    expect(issues({ linux: { ...userns, uidMappings: m(0, 0, 0), gidMappings: m(1, 1, 4294967295) } })).toEqual([
      'linux.uidMappings[0].size: must be at least 1',
      'linux.gidMappings[0].containerID: containerID + size must not exceed 4294967295',
      'linux.gidMappings[0].hostID: hostID + size must not exceed 4294967295',
    ]);
    expect(issues({ linux: { ...userns, uidMappings: new Array(341).fill({ containerID: 0, hostID: 0, size: 1 }) } })).toEqual([
      'linux.uidMappings: at most 340 mappings (the kernel limit)',
    ]);
    // Mount idmappings take the same rules.
    const mounts = [{ destination: '/d', type: 'bind', source: '/s', options: ['idmap'], uidMappings: m(0, 4294967290, 10), gidMappings: m(0, 0, 1) }];
    expect(issues({ mounts })).toEqual(['mounts[0].uidMappings[0].hostID: hostID + size must not exceed 4294967295']);
  });

  it('keeps device numbers, modes and owners to what mknod(2) and chown(2) take', () => {
    const dev = (d: Record<string, unknown>) => issues({ linux: { devices: [{ type: 'c', path: '/dev/x', major: 1, minor: 3, ...d }] } });
    expect(dev({ major: 4095, minor: 1048575, fileMode: 0o7777, uid: 2147483647, gid: 0 })).toEqual([]);
    expect(dev({ fileMode: 0o20666 })).toEqual([]); // the type's own bits, as runc ORs them in
    expect(dev({ major: 4096, minor: 1048576 })).toEqual([
      'linux.devices[0].major: must be in range 0-4095 (12 bits)',
      'linux.devices[0].minor: must be in range 0-1048575 (20 bits)',
    ]);
    expect(dev({ fileMode: 0o60666 })).toEqual(['linux.devices[0].fileMode: must be permission bits (0-07777), with no file type other than that of type "c"']);
    expect(dev({ fileMode: 4294967295 })).toEqual(['linux.devices[0].fileMode: must be permission bits (0-07777), with no file type other than that of type "c"']);
    expect(dev({ uid: 4294967295, gid: -1 })).toEqual([`linux.devices[0].uid: ${ID}`, `linux.devices[0].gid: ${ID}`]);
  });

  it('keeps oomScoreAdj in -1000..1000, rlimits soft <= hard, console size 16-bit, scheduler and I/O priority in range', () => {
    expect(proc({ oomScoreAdj: -1000 })).toEqual([]);
    expect(proc({ oomScoreAdj: 1001 })).toEqual(['process.oomScoreAdj: must be in range -1000-1000']);
    expect(proc({ oomScoreAdj: -5000 })).toEqual(['process.oomScoreAdj: must be in range -1000-1000']);
    expect(proc({ rlimits: [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }] })).toEqual(['process.rlimits[0].soft: must not be greater than hard (1024)']);
    expect(proc({ rlimits: [{ type: 'RLIMIT_CORE', soft: 18446744073709551615, hard: 18446744073709551615 }] })).toEqual([]);
    expect(proc({ terminal: false, consoleSize: { height: 65536, width: 80 } })).toEqual(['process.consoleSize.height: must be in range 0-65535']);
    expect(proc({ scheduler: { policy: 'SCHED_OTHER', nice: -21 } })).toEqual(['process.scheduler.nice: must be in range -20-19']);
    expect(proc({ scheduler: { policy: 'SCHED_FIFO', priority: 100 } })).toEqual(['process.scheduler.priority: must be in range 0-99']);
    expect(proc({ ioPriority: { class: 'IOPRIO_CLASS_BE', priority: -1 } })).toEqual(['process.ioPriority.priority: must be in range 0-7']);
    expect(proc({ ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 8 } })).toEqual(['process.ioPriority.priority: must be in range 0-7']);
  });

  it('keeps hook timeouts, seccomp return values and argument indexes, and time offsets in range', () => {
    expect(issues({ hooks: { poststart: [{ path: '/bin/true', timeout: 2147484 }] } })).toEqual(['hooks.poststart[0].timeout: must be in range 1-2147483 (seconds)']);
    const seccomp = (s: Record<string, unknown>) => issues({ linux: { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', ...s } } });
    expect(seccomp({ defaultErrnoRet: 65536 })).toEqual(['linux.seccomp.defaultErrnoRet: must be in range 0-65535']);
    expect(seccomp({ syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', errnoRet: 65536, args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] })).toEqual([
      'linux.seccomp.syscalls[0].errnoRet: must be in range 0-65535',
      'linux.seccomp.syscalls[0].args[0].index: must be in range 0-5',
    ]);
    const time = { namespaces: [{ type: 'time' }], timeOffsets: { monotonic: { secs: 1, nanosecs: 1000000000 } } };
    expect(issues({ linux: time })).toEqual(['linux.timeOffsets.monotonic.nanosecs: must be in range 0-999999999']);
  });
});

describe('linuxResourcesSchema', () => {
  it('accepts a pids block without limit and rejects a bad type', () => {
    expect(linuxResourcesSchema().safeParse({ pids: {} }).success).toBe(true);
    const r = linuxResourcesSchema().safeParse({ memory: { limit: -1 }, cpu: { quota: 'x' } });
    expect(r.success).toBe(false);
    if (!r.success) expect(formatIssues(r.error)).toEqual(['cpu.quota: Expected number, received string']);
  });
});

describe('parts built on first use', () => {
  it('validate on every parse, the first and later ones, with the same paths', () => {
    const bad = { ociVersion: '1.3.0', linux: { resources: { memory: { limit: 'x' } }, seccomp: { defaultAction: 'SCMP_ACT_NOPE' } } };
    for (let i = 0; i < 2; i++) {
      const r = specSchema.safeParse(bad);
      expect(r.success).toBe(false);
      expect(r.error!.issues.map((x) => x.path.join('.')).sort()).toEqual(['linux.resources.memory.limit', 'linux.seccomp.defaultAction']);
    }
    expect(specSchema.safeParse({ ociVersion: '1.3.0', linux: { resources: { memory: { limit: 1 } } } }).success).toBe(true);
  });
});
