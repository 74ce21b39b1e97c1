/** linux.seccomp → compiler input (pure) and the on-disk cache of compiled programs (with a stand-in compiler). */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SeccompRule } from '../../src/native/contract.js';
import {
  actionValue,
  archName,
  compileSpecSeccomp,
  flagValue,
  operatorValue,
  SeccompFlag,
  seccompArchProblems,
  seccompRules,
  supportedArchs,
  type SeccompCompiler,
} from '../../src/plan/seccomp.js';
import { seccompArchitectures, seccompFlags, type LinuxSeccomp } from '../../src/spec/schema.js';

describe('actionValue', () => {
  it('maps every action to its unsigned SCMP_ACT_* value', () => {
    expect(actionValue('SCMP_ACT_KILL', undefined)).toBe(0);
    expect(actionValue('SCMP_ACT_KILL_THREAD', undefined)).toBe(0);
    expect(actionValue('SCMP_ACT_KILL_PROCESS', undefined)).toBe(0x80000000);
    expect(actionValue('SCMP_ACT_TRAP', undefined)).toBe(0x00030000);
    expect(actionValue('SCMP_ACT_LOG', undefined)).toBe(0x7ffc0000);
    expect(actionValue('SCMP_ACT_ALLOW', undefined)).toBe(0x7fff0000);
    expect(actionValue('SCMP_ACT_NOTIFY', undefined)).toBe(0x7fc00000);
  });

  it('gives ERRNO and TRACE errnoRet, EPERM by default', () => {
    expect(actionValue('SCMP_ACT_ERRNO', undefined)).toBe(0x00050001);
    expect(actionValue('SCMP_ACT_ERRNO', 38)).toBe(0x00050026);
    expect(actionValue('SCMP_ACT_ERRNO', 0)).toBe(0x00050000);
    expect(actionValue('SCMP_ACT_TRACE', undefined)).toBe(0x7ff00001);
    expect(actionValue('SCMP_ACT_TRACE', 1234)).toBe(0x7ff004d2);
    // Only 16 bits of data exist (runc converts to int16 too).
    expect(actionValue('SCMP_ACT_ERRNO', 0x10001)).toBe(0x00050001);
  });

  it('ignores errnoRet on other actions and refuses unknown ones', () => {
    expect(actionValue('SCMP_ACT_ALLOW', 5)).toBe(0x7fff0000);
    expect(() => actionValue('SCMP_ACT_NOPE', undefined)).toThrow(/unknown action "SCMP_ACT_NOPE"/);
    expect(() => actionValue('toString', undefined)).toThrow(/unknown action/);
  });
});

describe('archName', () => {
  it('maps every architecture of the schema to a libseccomp name', () => {
    const names = seccompArchitectures.map(archName);
    expect(new Set(names).size).toBe(seccompArchitectures.length);
    expect(archName('SCMP_ARCH_X86_64')).toBe('x86_64');
    expect(archName('SCMP_ARCH_X86')).toBe('x86');
    expect(archName('SCMP_ARCH_X32')).toBe('x32');
    expect(archName('SCMP_ARCH_AARCH64')).toBe('aarch64');
    expect(archName('SCMP_ARCH_LOONGARCH64')).toBe('loongarch64');
    expect(archName('SCMP_ARCH_MIPSEL64N32')).toBe('mipsel64n32');
    expect(archName('SCMP_ARCH_PPC64LE')).toBe('ppc64le');
    expect(archName('SCMP_ARCH_S390X')).toBe('s390x');
    expect(archName('SCMP_ARCH_RISCV64')).toBe('riscv64');
  });

  it('refuses unknown architectures', () => {
    expect(() => archName('SCMP_ARCH_VAX')).toThrow(/unknown architecture/);
  });
});

describe('supportedArchs and seccompArchProblems', () => {
  // libseccomp 2.5.4 as on Debian 12: no LoongArch, m68k or SuperH.
  const lacking = new Set(['loongarch64', 'm68k', 'sh', 'sheb']);
  const knows = (name: string) => !lacking.has(name);

  it('lists only the architectures the linked libseccomp resolves', () => {
    const archs = supportedArchs(knows);
    expect(archs).toContain('SCMP_ARCH_X86_64');
    expect(archs).toContain('SCMP_ARCH_RISCV64');
    for (const a of ['SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB']) expect(archs).not.toContain(a);
    expect(archs).toEqual([...archs].sort());
    expect(supportedArchs(() => true)).toEqual([...seccompArchitectures].sort());
  });

  it('names each architecture libseccomp lacks with its JSON path', () => {
    const problems = seccompArchProblems(
      { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_X86', 'SCMP_ARCH_SHEB'] },
      knows,
      '2.5.4',
    );
    expect(problems).toEqual([
      'linux.seccomp.architectures[1]: architecture "SCMP_ARCH_M68K" is not supported by the linked libseccomp 2.5.4',
      'linux.seccomp.architectures[3]: architecture "SCMP_ARCH_SHEB" is not supported by the linked libseccomp 2.5.4',
    ]);
    expect(seccompArchProblems({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'] }, knows, '2.5.4')).toEqual([]);
    expect(seccompArchProblems(undefined, knows, '2.5.4')).toEqual([]);
  });
});

describe('operatorValue and flagValue', () => {
  it('maps operators to enum scmp_compare', () => {
    expect(
      ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'].map(
        operatorValue,
      ),
    ).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(() => operatorValue('SCMP_CMP_XX')).toThrow(/unknown operator/);
  });

  it('maps flags to seccomp(2) bits', () => {
    expect(flagValue('SECCOMP_FILTER_FLAG_TSYNC')).toBe(1);
    expect(flagValue('SECCOMP_FILTER_FLAG_LOG')).toBe(2);
    expect(flagValue('SECCOMP_FILTER_FLAG_SPEC_ALLOW')).toBe(4);
    expect(flagValue('SECCOMP_FILTER_FLAG_NEW_LISTENER')).toBe(8);
    expect(flagValue('SECCOMP_FILTER_FLAG_TSYNC_ESRCH')).toBe(16);
    expect(flagValue('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV')).toBe(32);
    for (const f of seccompFlags) expect(flagValue(f)).toBeGreaterThan(0);
    expect(() => flagValue('SECCOMP_FILTER_FLAG_X')).toThrow(/unknown flag/);
  });
});

describe('seccompRules', () => {
  it('makes one rule per syscall name, in order, with the entry action and errnoRet', () => {
    const r = seccompRules({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    });
    expect(r.defaultAction).toBe(0x00050001);
    expect(r.rules).toEqual([
      { name: 'read', action: 0x7fff0000, args: [] },
      { name: 'write', action: 0x7fff0000, args: [] },
      { name: 'mkdir', action: 0x0005000d, args: [] },
      { name: 'clone3', action: 0x00050026, args: [] },
    ]);
    expect(r.usesNotify).toBe(false);
  });

  it('applies defaultErrnoRet to an ERRNO or TRACE default action only', () => {
    expect(seccompRules({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38 }).defaultAction).toBe(0x00050026);
    expect(seccompRules({ defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 2 }).defaultAction).toBe(0x7ff00002);
    expect(seccompRules({ defaultAction: 'SCMP_ACT_KILL_PROCESS', defaultErrnoRet: 2 }).defaultAction).toBe(0x80000000);
  });

  it('gives arguments as [index, op, value, valueTwo] with BigInt values', () => {
    const r = seccompRules({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {
          names: ['personality', 'socket'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            { index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' },
            { index: 1, value: 0xff, valueTwo: 16, op: 'SCMP_CMP_MASKED_EQ' },
            // JSON.parse reads 18446744073709551615 as 2^64.
            { index: 2, value: 2 ** 64, valueTwo: 2 ** 53, op: 'SCMP_CMP_GE' },
          ],
        },
      ],
    });
    const args = [
      [0, 1, 0xffffffffn, 0n],
      [1, 7, 0xffn, 16n],
      [2, 5, 0xffffffffffffffffn, 9007199254740992n],
    ];
    expect(r.rules).toEqual([
      { name: 'personality', action: 0x00050001, args },
      { name: 'socket', action: 0x00050001, args },
    ]);
    // Each rule has its own arrays.
    expect(r.rules[0]!.args).not.toBe(r.rules[1]!.args);
    expect(typeof r.rules[0]!.args[0]![2]).toBe('bigint');
  });

  it('maps and deduplicates architectures', () => {
    const r = seccompRules({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86'],
    });
    expect(r.architectures).toEqual(['x86_64', 'x86', 'x32']);
    expect(seccompRules({ defaultAction: 'SCMP_ACT_ALLOW' }).architectures).toEqual([]);
  });

  it('defaults flags to SPEC_ALLOW like runc, ORs given ones and drops TSYNC', () => {
    expect(seccompRules({ defaultAction: 'SCMP_ACT_ALLOW' }).flags).toBe(SeccompFlag.SPEC_ALLOW);
    expect(seccompRules({ defaultAction: 'SCMP_ACT_ALLOW', flags: [] }).flags).toBe(0);
    expect(
      seccompRules({
        defaultAction: 'SCMP_ACT_ALLOW',
        flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      }).flags,
    ).toBe(2 | 32);
    expect(seccompRules({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_TSYNC'] }).flags).toBe(0);
  });

  it('adds NEW_LISTENER when a rule notifies', () => {
    const r = seccompRules({
      defaultAction: 'SCMP_ACT_ALLOW',
      flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_TSYNC'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    });
    expect(r.usesNotify).toBe(true);
    expect(r.flags).toBe(SeccompFlag.LOG | SeccompFlag.NEW_LISTENER);
    expect(r.rules[0]!.action).toBe(0x7fc00000);
  });

  it('refuses NOTIFY as the default action or for write(2), as runc', () => {
    expect(() => seccompRules({ defaultAction: 'SCMP_ACT_NOTIFY' })).toThrow(
      'SCMP_ACT_NOTIFY cannot be used as default action',
    );
    expect(() =>
      seccompRules({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' }] }),
    ).toThrow('SCMP_ACT_NOTIFY cannot be used for the write syscall');
  });
});

describe('compileSpecSeccomp', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsrun-seccomp-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const spec: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['read', 'write', 'nosuchcall'], action: 'SCMP_ACT_ALLOW' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
    ],
  };

  // A stand-in compiler: a deterministic "program" derived from its input.
  function fakeCompiler() {
    return vi.fn<SeccompCompiler>((defaultAction: number, archs: string[], rules: SeccompRule[]) => {
      const text = JSON.stringify([defaultAction, archs, rules.map((r) => [r.name, r.action, r.args.map((a) => a.map(String))])]);
      const program = Buffer.alloc(Math.ceil(text.length / 8) * 8 + 8);
      program.write(text);
      return { program, skipped: rules.some((r) => r.name === 'nosuchcall') ? ['nosuchcall'] : [] };
    });
  }

  it('compiles every time without a cache directory', () => {
    const compile = fakeCompiler();
    const a = compileSpecSeccomp(spec, { compile, libseccompVersion: '2.5.4' });
    const b = compileSpecSeccomp(spec, { compile, libseccompVersion: '2.5.4' });
    expect(compile).toHaveBeenCalledTimes(2);
    expect(a.cached).toBe(false);
    expect(b.cached).toBe(false);
    expect(a.program.equals(b.program)).toBe(true);
    expect(a.flags).toBe(SeccompFlag.SPEC_ALLOW);
    expect(a.skipped).toEqual(['nosuchcall']);
  });

  it('passes the mapped rules to the compiler', () => {
    const compile = fakeCompiler();
    compileSpecSeccomp(spec, { compile, libseccompVersion: '2.5.4' });
    const [def, archs, rules] = compile.mock.calls[0]!;
    expect(def).toBe(0x00050001);
    expect(archs).toEqual(['x86_64']);
    expect(rules.map((r) => r.name)).toEqual(['read', 'write', 'nosuchcall', 'personality']);
    expect(rules[3]!.args).toEqual([[0, 4, 8n, 0n]]);
  });

  it('serves a second identical compile from the cache, without compiling', () => {
    const cacheDir = join(dir, 'cache');
    const compile = fakeCompiler();
    const first = compileSpecSeccomp(spec, { cacheDir, compile, libseccompVersion: '2.5.4' });
    expect(first.cached).toBe(false);
    expect(compile).toHaveBeenCalledTimes(1);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.bpf$/);
    expect(statSync(join(cacheDir, files[0]!)).mode & 0o777).toBe(0o600);

    const second = compileSpecSeccomp(structuredClone(spec), { cacheDir, compile, libseccompVersion: '2.5.4' });
    expect(compile).toHaveBeenCalledTimes(1);
    expect(second).toEqual({ ...first, cached: true });
    expect(second.program.equals(first.program)).toBe(true);
    expect(second.skipped).toEqual(['nosuchcall']);
  });

  it('misses when a rule, the libseccomp version or the flags change', () => {
    const cacheDir = join(dir, 'cache');
    const compile = fakeCompiler();
    compileSpecSeccomp(spec, { cacheDir, compile, libseccompVersion: '2.5.4' });

    const changed = structuredClone(spec);
    changed.syscalls![1]!.args![0]!.value = 9;
    expect(compileSpecSeccomp(changed, { cacheDir, compile, libseccompVersion: '2.5.4' }).cached).toBe(false);
    expect(compileSpecSeccomp(spec, { cacheDir, compile, libseccompVersion: '2.6.0' }).cached).toBe(false);
    expect(compileSpecSeccomp({ ...spec, flags: [] }, { cacheDir, compile, libseccompVersion: '2.5.4' }).cached).toBe(false);
    expect(compile).toHaveBeenCalledTimes(4);
    expect(readdirSync(cacheDir)).toHaveLength(4);
    expect(compileSpecSeccomp(changed, { cacheDir, compile, libseccompVersion: '2.5.4' }).cached).toBe(true);
  });

  it.each([
    ['truncated', (b: Buffer) => b.subarray(0, b.length - 3)],
    ['shorter than a header', (b: Buffer) => b.subarray(0, 20)],
    ['with a flipped program byte', (b: Buffer) => Buffer.concat([b.subarray(0, 60), Buffer.from([b[60]! ^ 1]), b.subarray(61)])],
    ['with a bad magic', (b: Buffer) => Buffer.concat([Buffer.from('XXXXXXXX'), b.subarray(8)])],
    ['empty', () => Buffer.alloc(0)],
  ])('recompiles over a cache file that is %s', (_what, corrupt) => {
    const cacheDir = join(dir, 'cache');
    const compile = fakeCompiler();
    const first = compileSpecSeccomp(spec, { cacheDir, compile, libseccompVersion: '2.5.4' });
    const file = join(cacheDir, readdirSync(cacheDir)[0]!);
    writeFileSync(file, corrupt(readFileSync(file)));

    const again = compileSpecSeccomp(spec, { cacheDir, compile, libseccompVersion: '2.5.4' });
    expect(again.cached).toBe(false);
    expect(again.program.equals(first.program)).toBe(true);
    expect(compile).toHaveBeenCalledTimes(2);
    // Rewritten: the next call hits again.
    expect(compileSpecSeccomp(spec, { cacheDir, compile, libseccompVersion: '2.5.4' }).cached).toBe(true);
    expect(readdirSync(cacheDir)).toHaveLength(1);
  });

  it('ignores a cache file others could have written', () => {
    const cacheDir = join(dir, 'cache');
    const compile = fakeCompiler();
    compileSpecSeccomp(spec, { cacheDir, compile, libseccompVersion: '2.5.4' });
    const file = join(cacheDir, readdirSync(cacheDir)[0]!);
    chmodSync(file, 0o666);
    expect(compileSpecSeccomp(spec, { cacheDir, compile, libseccompVersion: '2.5.4' }).cached).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('still compiles when the cache cannot be written', () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    const compile = fakeCompiler();
    const r = compileSpecSeccomp(spec, { cacheDir: join(blocker, 'cache'), compile, libseccompVersion: '2.5.4' });
    expect(r.cached).toBe(false);
    expect(r.program.length).toBeGreaterThan(0);
  });
});
