import { describe, expect, it } from 'vitest';
import { parseUser, processFromFlags, type ExecArgs } from '../../src/runtime/exec.js';
import type { SpecProcess } from '../../src/spec/schema.js';

const base: SpecProcess = {
  terminal: true,
  user: { uid: 0, gid: 0 },
  args: ['sleep', '1000'],
  env: ['PATH=/bin'],
  cwd: '/',
  capabilities: { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] },
  noNewPrivileges: true,
} as SpecProcess;

const args = (o: Partial<ExecArgs>): ExecArgs => ({
  root: '/run/tsrun',
  id: 'c',
  args: ['sh'],
  detach: false,
  env: [],
  additionalGids: [],
  caps: [],
  preserveFds: 0,
  ignorePaused: false,
  ...o,
});

describe('exec process from flags (runc getProcess)', () => {
  it('replaces args, appends env, overrides cwd, and takes the terminal only from -t', () => {
    const p = processFromFlags(base, args({ args: ['id'], env: ['A=1'], cwd: '/tmp' }));
    expect(p.args).toEqual(['id']);
    expect(p.env).toEqual(['PATH=/bin', 'A=1']);
    expect(p.cwd).toBe('/tmp');
    expect(p.terminal).toBe(false);
    expect(processFromFlags(base, args({ tty: true })).terminal).toBe(true);
    expect(base.args).toEqual(['sleep', '1000']); // not modified
  });

  it('sets uid[:gid], additional gids, capabilities and no_new_privs', () => {
    const p = processFromFlags(base, args({ user: '1000:100', additionalGids: [5, 6], caps: ['CAP_NET_ADMIN'], noNewPrivs: false }));
    expect(p.user).toEqual({ uid: 1000, gid: 100, additionalGids: [5, 6] });
    expect(p.capabilities?.bounding).toEqual(['CAP_CHOWN', 'CAP_NET_ADMIN']);
    expect(p.capabilities?.effective).toEqual(['CAP_CHOWN', 'CAP_NET_ADMIN']);
    expect(p.capabilities?.permitted).toEqual(['CAP_CHOWN', 'CAP_NET_ADMIN']);
    expect(p.noNewPrivileges).toBe(false);
    expect(processFromFlags(base, args({ user: '7' })).user).toEqual({ uid: 7, gid: 0 });
  });

  it('--cap never adds to the inheritable set, and to ambient only when inheritable is not empty (CVE-2022-29162)', () => {
    const p = processFromFlags(base, args({ caps: ['CAP_SYS_ADMIN'] }));
    expect(p.capabilities?.inheritable ?? []).toEqual([]);
    expect(p.capabilities?.ambient ?? []).toEqual([]);
    const empty = processFromFlags({ ...base, capabilities: { ...base.capabilities, inheritable: [], ambient: [] } }, args({ caps: ['CAP_SYS_ADMIN'] }));
    expect(empty.capabilities?.inheritable).toEqual([]);
    expect(empty.capabilities?.ambient).toEqual([]);
    const inh = processFromFlags({ ...base, capabilities: { ...base.capabilities, inheritable: ['CAP_CHOWN'] } }, args({ caps: ['CAP_SYS_ADMIN'] }));
    expect(inh.capabilities?.inheritable).toEqual(['CAP_CHOWN']);
    expect(inh.capabilities?.ambient).toEqual(['CAP_SYS_ADMIN']);
  });

  it('parses the user as runc does: numbers only', () => {
    expect(parseUser('1:2')).toEqual({ uid: 1, gid: 2 });
    expect(() => parseUser('nobody')).toThrow('parsing nobody as int for uid failed');
    expect(() => parseUser('1:wheel')).toThrow('parsing wheel as int for gid failed');
    for (const u of ['1.5', '0x10', '1e3', ' 7', '1000:'])
      expect(() => parseUser(u), u).toThrow(/parsing .* as int for (uid|gid) failed: invalid syntax/);
  });

  it("refuses ids out of 0..2^31-1 instead of wrapping them ((uid_t)-1 would keep root), in runc's words", () => {
    for (const u of ['-1', '-5', '4294967295', '2147483648', '99999999999', '1000:4294967295', '1000:-1', '0:99999999999'])
      expect(() => parseUser(u), u).toThrow('uids and gids must be in range 0-2147483647');
    expect(parseUser('2147483647:2147483647')).toEqual({ uid: 2147483647, gid: 2147483647 });
    expect(parseUser('+7')).toEqual({ uid: 7 });
  });
});
