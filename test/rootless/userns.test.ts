/**
 * What a user namespace owned by an ordinary user forbids, and what the runtime does instead or says: devices
 * are bind-mounted from the host (mknod is not allowed), a sysctl needs a namespace the user owns, oom_score_adj
 * may only go up, additional groups cannot be set, host ids outside the user's are refused. Every failure
 * leaves nothing behind. Reference: runc 1.1.5, whose messages are quoted (docs/rootless-findings.md).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { IS_RUNC, W, bundle, leftoversOf, ok, processesLeft, rt, uniqueId } from './helpers.js';

const ids: string[] = [];
const newId = () => {
  const id = uniqueId('ns');
  ids.push(id);
  return id;
};

afterEach(() => {
  for (const id of ids.splice(0)) rt(['delete', '--force', id]);
});

function refused(patch: (c: Record<string, any>) => void, message: string | RegExp, o: { delegatedCgroupLeftByRunc?: boolean } = {}) {
  const { dir } = bundle(['true'], patch);
  const id = newId();
  const r = rt(['run', id], { cwd: dir });
  expect(r.status).toBe(1);
  if (typeof message === 'string') expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(processesLeft()).toEqual([]);
  expect(leftoversOf(id, o)).toEqual([]);
}

const subRanges = () => [
  { containerID: 0, hostID: W.uid, size: 1 },
  { containerID: 1, hostID: W.subStart, size: W.subCount },
];

describe('devices', () => {
  it('a device of the config is the host\'s node bind-mounted (no mknod in a user namespace)', () => {
    const { dir } = bundle(['sh', '-c', 'ls -ln /dev/fuse /dev/null; echo ---; cat /proc/self/mountinfo'], (c) => {
      c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }];
    });
    const id = newId();
    const [ls, mountinfo] = ok(rt(['run', id], { cwd: dir })).stdout.split('---\n').map((x) => x ?? '');
    expect(ls).toMatch(/^c\S+\s+\d+\s+\d+\s+\d+\s+10,\s+229 .*\/dev\/fuse$/m);
    expect(ls).toMatch(/^c\S+\s+\d+\s+\d+\s+\d+\s+1,\s+3 .*\/dev\/null$/m);
    // Bind mounts of the host's nodes: mount points at /dev/fuse and /dev/null, from the host's devtmpfs.
    const points = (mountinfo ?? '').split('\n').map((l) => l.split(' ')[4]);
    expect(points).toContain('/dev/fuse');
    expect(points).toContain('/dev/null');
    expect(leftoversOf(id)).toEqual([]);
  });
});

describe('sysctl', () => {
  it('a net.* sysctl without a network namespace is refused: not allowed in host network namespace', () => {
    refused(
      (c) => {
        c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
      },
      // runc: sysctl "net.ipv4.ip_forward" not allowed in host network namespace (quotes escaped in a text log
      // line); tsrun names the field: linux.sysctl["net.ipv4.ip_forward"]: not allowed in the host's network namespace
      /sysctl[ []\\?"net\.ipv4\.ip_forward\\?"\]?:? not allowed in (the )?host('s)? network namespace/,
    );
  });

  it('a net.* sysctl with the container\'s own network namespace is applied', () => {
    const { dir } = bundle(['cat', '/proc/sys/net/ipv4/ip_forward'], (c) => {
      c.linux.namespaces.push({ type: 'network' });
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    });
    expect(ok(rt(['run', newId()], { cwd: dir })).stdout.trim()).toBe('1');
  });

  it('an ipc sysctl (kernel.msgmax) in the container\'s ipc namespace is applied', () => {
    const { dir } = bundle(['cat', '/proc/sys/kernel/msgmax'], (c) => {
      c.linux.sysctl = { 'kernel.msgmax': '4096' };
    });
    expect(ok(rt(['run', newId()], { cwd: dir })).stdout.trim()).toBe('4096');
  });
});

describe('oom_score_adj', () => {
  const current = Number(readFileSync('/proc/self/oom_score_adj', 'utf8'));

  it.skipIf(current === -1000)('lower than the caller\'s is refused (it needs CAP_SYS_RESOURCE in the initial namespace)', () => {
    refused(
      (c) => {
        c.process.oomScoreAdj = Math.max(-1000, current - 100);
      },
      // runc: "failed to update /proc/self/oom_score_adj: Permission denied"; tsrun: "set oom_score_adj to N:
      // permission denied (below the current value ... CAP_SYS_RESOURCE ...)"
      /oom_score_adj.*: [Pp]ermission denied/,
    );
  });

  it('higher than the caller\'s is applied', () => {
    const { dir } = bundle(['cat', '/proc/self/oom_score_adj'], (c) => {
      c.process.oomScoreAdj = Math.min(1000, current + 500);
    });
    expect(ok(rt(['run', newId()], { cwd: dir })).stdout.trim()).toBe(String(Math.min(1000, current + 500)));
  });
});

describe('groups', () => {
  it('additional groups with a single mapping are refused: "cannot set any additional groups in a rootless container"', () => {
    refused(
      (c) => {
        c.process.user.additionalGids = [0];
      },
      // runc: "unable to setup user: cannot set any additional groups in a rootless container"; tsrun names the
      // field and says why (setgroups is denied) and what allows them (subordinate gids).
      IS_RUNC ? 'unable to setup user: cannot set any additional groups in a rootless container' : /process\.user\.additionalGids: .*no additional groups can be set.*\/etc\/subgid/,
    );
  });

  it('additional groups with the subordinate ranges mapped: refused by runc, set by tsrun (setgroups is allowed there)', () => {
    const ranges = (c: Record<string, any>) => {
      c.linux.uidMappings = subRanges();
      c.linux.gidMappings = subRanges().map((r) => (r.containerID === 0 ? { ...r, hostID: W.gid } : r));
      c.process.user.additionalGids = [1000];
    };
    if (IS_RUNC) {
      refused(ranges, 'cannot set any additional groups in a rootless container');
      return;
    }
    const { dir } = bundle(['sh', '-c', 'id -G; cat /proc/self/setgroups'], ranges);
    const out = ok(rt(['run', newId()], { cwd: dir })).stdout.trim().split('\n');
    expect(out[0]!.split(' ')).toEqual(['0', '1000']);
    expect(out[1]).toBe('allow');
    expect(processesLeft()).toEqual([]);
  });

  it('with a single mapping setgroups(2) is denied inside (the map was written without newgidmap)', () => {
    const { dir } = bundle(['cat', '/proc/self/setgroups']);
    expect(ok(rt(['run', newId()], { cwd: dir })).stdout.trim()).toBe('deny');
  });
});

describe('ids the user does not own', () => {
  it('host uid 0 in the uid map is refused, nothing left', () => {
    // runc 1.1.5 fails before any map is written, chowning exec.fifo to the container root's host uid:
    // "fchown fd 7: operation not permitted". tsrun hands the map to newuidmap, which refuses it.
    refused(
      (c) => {
        c.linux.uidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
      },
      IS_RUNC ? /operation not permitted/i : /newuidmap: uid range \[0-1\) -> \[0-1\) not allowed[\s\S]*write uid_map: .*newuidmap refused linux\.uidMappings/,
    );
  });

  it('a gid range beyond the user\'s subordinate ones is refused by newgidmap', () => {
    refused(
      (c) => {
        c.linux.uidMappings = subRanges();
        c.linux.gidMappings = [
          { containerID: 0, hostID: W.gid, size: 1 },
          { containerID: 1, hostID: W.subStart + W.subCount, size: 10 },
        ];
      },
      `newgidmap: gid range [1-11) -> [${W.subStart + W.subCount}-${W.subStart + W.subCount + 10}) not allowed`,
      { delegatedCgroupLeftByRunc: true },
    );
  });
});
