/**
 * compileSeccomp through the addon (build/Release/tsrun.node) with the real libseccomp. Nothing is loaded
 * into any process: the programs are run by a small classic-BPF interpreter below, against seccomp_data
 * built by hand, which checks what the kernel would decide without root and without touching this process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/addon.js';
import type { SeccompRule } from '../../src/native/contract.js';
import { archName, compileSpecSeccomp } from '../../src/plan/seccomp.js';
import { seccompArchitectures } from '../../src/spec/schema.js';

const addon = native();
const compile = addon.compileSeccomp;

const ALLOW = 0x7fff0000;
const KILL_THREAD = 0;
const ERRNO = (e: number) => (0x00050000 | e) >>> 0;
const EPERM = ERRNO(1);
const EACCES = ERRNO(13);
const ENOSYS = ERRNO(38);
const EQ = 4;
const GE = 5;
const MASKED_EQ = 7;

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const X32_BIT = 0x40000000;

/** x86_64 syscall numbers used below. */
const NR = { read: 0, write: 1, socket: 41, getpid: 39, mkdir: 83, personality: 135, exit_group: 231, openat: 257, openat2: 437 };

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

function decode(program: Buffer): Insn[] {
  const out: Insn[] = [];
  for (let i = 0; i < program.length; i += 8)
    out.push({ code: program.readUInt16LE(i), jt: program[i + 2]!, jf: program[i + 3]!, k: program.readUInt32LE(i + 4) });
  return out;
}

const rets = (program: Buffer) => decode(program).filter((i) => i.code === 0x06).map((i) => i.k >>> 0);

/** Runs a seccomp cBPF program on struct seccomp_data {nr, arch, ip, args[6]} (little endian): its return value. */
function run(program: Buffer, nr: number, opts: { arch?: number; args?: bigint[] } = {}): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr >>> 0, 0);
  data.writeUInt32LE(opts.arch ?? AUDIT_ARCH_X86_64, 4);
  (opts.args ?? []).forEach((v, i) => data.writeBigUInt64LE(v, 16 + 8 * i));
  const insns = decode(program);
  const mem = new Array<number>(16).fill(0);
  let a = 0;
  let x = 0;
  for (let pc = 0; pc < insns.length; ) {
    const { code, jt, jf, k } = insns[pc]!;
    const jump = (cond: boolean) => (pc += 1 + (cond ? jt : jf));
    switch (code) {
      case 0x20: // ld [k]
        if (k % 4 !== 0 || k + 4 > 64) throw new Error(`pc ${pc}: bad load offset ${k}`);
        a = data.readUInt32LE(k);
        pc++;
        break;
      case 0x00: // ld #k
        a = k;
        pc++;
        break;
      case 0x60: // ld M[k]
        a = mem[k]!;
        pc++;
        break;
      case 0x61: // ldx M[k]
        x = mem[k]!;
        pc++;
        break;
      case 0x02: // st M[k]
        mem[k] = a;
        pc++;
        break;
      case 0x03: // stx M[k]
        mem[k] = x;
        pc++;
        break;
      case 0x54: // and #k
        a = (a & k) >>> 0;
        pc++;
        break;
      case 0x05: // ja
        pc += 1 + k;
        break;
      case 0x15:
        jump(a === k);
        break;
      case 0x25:
        jump(a > k);
        break;
      case 0x35:
        jump(a >= k);
        break;
      case 0x45:
        jump((a & k) !== 0);
        break;
      case 0x06: // ret #k
        return k >>> 0;
      default:
        throw new Error(`pc ${pc}: opcode 0x${code.toString(16)} not handled by this interpreter`);
    }
  }
  throw new Error('the program ran off its end');
}

const rule = (name: string, action: number, args: SeccompRule['args'] = []): SeccompRule => ({ name, action, args });

describe('compileSeccomp', () => {
  it('compiles a small filter to whole sock_filter instructions', () => {
    const { program, skipped } = compile(ALLOW, [], [rule('mkdir', EPERM)]);
    expect(Buffer.isBuffer(program)).toBe(true);
    expect(program.length).toBeGreaterThan(0);
    expect(program.length % 8).toBe(0);
    expect(skipped).toEqual([]);
    const r = rets(program);
    expect(r).toContain(EPERM);
    expect(r).toContain(ALLOW);
    // A permissive default: no -ENOSYS stub.
    expect(r).not.toContain(ENOSYS);
  });

  it('skips names libseccomp does not know and compiles the rest', () => {
    const base = compile(ALLOW, [], [rule('mkdir', EPERM)]).program;
    const { program, skipped } = compile(ALLOW, [], [rule('tsrun_no_such_call', EPERM), rule('mkdir', EPERM), rule('tsrun_no_such_call', EACCES)]);
    expect(skipped).toEqual(['tsrun_no_such_call']);
    expect(program.equals(base)).toBe(true);
  });

  it('drops a rule with the default action silently, as runc', () => {
    const base = compile(ALLOW, [], [rule('mkdir', EPERM)]).program;
    const { program, skipped } = compile(ALLOW, [], [rule('getpid', ALLOW), rule('mkdir', EPERM)]);
    expect(skipped).toEqual([]);
    expect(program.equals(base)).toBe(true);
  });

  it('gives the same program for the same input', () => {
    const rules = [rule('mkdir', EPERM), rule('personality', ALLOW, [[0, EQ, 8n, 0n]])];
    const a = compile(EPERM, ['x86_64', 'x32'], rules).program;
    const b = compile(EPERM, ['x86_64', 'x32'], structuredClone(rules)).program;
    expect(a.equals(b)).toBe(true);
  });

  it('grows with argument conditions', () => {
    const plain = compile(ALLOW, [], [rule('socket', EPERM)]).program;
    const masked = compile(ALLOW, [], [rule('socket', EPERM, [[0, MASKED_EQ, 0xffn, 16n]])]).program;
    const two = compile(ALLOW, [], [rule('socket', EPERM, [[0, MASKED_EQ, 0xffn, 16n], [1, EQ, 3n, 0n]])]).program;
    expect(masked.length).toBeGreaterThan(plain.length);
    expect(two.length).toBeGreaterThan(masked.length);
  });

  it('throws on an unknown architecture', () => {
    expect(() => compile(ALLOW, ['x86-64'], [])).toThrow(
      expect.objectContaining({
        message: 'seccomp_arch_resolve_name "x86-64" (unknown architecture): invalid argument',
        errno: -22, // negative, as Node's
        code: 'EINVAL',
        syscall: 'seccomp_arch_resolve_name',
      }),
    );
  });

  it('throws an Error naming the libseccomp call and the syscall when a rule is refused', () => {
    // Not an action libseccomp knows.
    expect(() => compile(ALLOW, [], [rule('mkdir', 0x12340000)])).toThrow(
      expect.objectContaining({ message: 'seccomp_rule_add "mkdir": invalid argument', errno: -22, code: 'EINVAL', syscall: 'seccomp_rule_add' }),
    );
    expect(() => compile(ALLOW, [], [rule('mkdir', EPERM, [[6, EQ, 0n, 0n]])])).toThrow(/seccomp_rule_add "mkdir" \(argument index 6\)/);
    expect(() => compile(ALLOW, [], [rule('mkdir', EPERM, [[0, 8, 0n, 0n]])])).toThrow(/seccomp_rule_add "mkdir" \(operator 8\)/);
    expect(() => compile(ALLOW, [], [rule('', EPERM)])).toThrow(/empty syscall name/);
    expect(() => compile(0x12340000, [], [])).toThrow(/seccomp_init/);
  });

  it('throws TypeError on wrong shapes', () => {
    const c = compile as unknown as (...a: unknown[]) => unknown;
    expect(() => c('x', [], [])).toThrow(TypeError);
    expect(() => c(-1, [], [])).toThrow(TypeError);
    expect(() => c(1.5, [], [])).toThrow(TypeError);
    expect(() => c(ALLOW, 'x86_64', [])).toThrow(TypeError);
    expect(() => c(ALLOW, [1], [])).toThrow(/architectures\[0\] must be a string/);
    expect(() => c(ALLOW, [], {})).toThrow(TypeError);
    expect(() => c(ALLOW, [], [null])).toThrow(/rules\[0\] must be an object/);
    expect(() => c(ALLOW, [], [{ name: 1, action: EPERM, args: [] }])).toThrow(/rules\[0\]\.name must be a string/);
    expect(() => c(ALLOW, [], [{ name: 'mkdir', action: EPERM }])).toThrow(/rules\[0\]\.args must be an array/);
    expect(() => c(ALLOW, [], [{ name: 'mkdir', action: EPERM, args: [[0, EQ, 1n]] }])).toThrow(TypeError);
    expect(() => c(ALLOW, [], [{ name: 'mkdir', action: EPERM, args: [[0, EQ, 1, 0n]] }])).toThrow(
      /rules\[0\]\.args\[0\]\[2\] must be a bigint/,
    );
    expect(() => c(ALLOW, [], [{ name: 'mkdir', action: EPERM, args: [[0, EQ, -1n, 0n]] }])).toThrow(RangeError);
    expect(() => c(ALLOW, [], [{ name: 'mkdir', action: EPERM, args: [[0, EQ, 1n << 64n, 0n]] }])).toThrow(RangeError);
    expect(() => c(ALLOW, [])).toThrow(TypeError);
  });

  it('knows every architecture name archName gives (those of libseccomp >= 2.6 only from 2.6 on)', () => {
    const [major, minor] = addon.seccompVersion().split('.').map(Number) as [number, number];
    const since26 = new Set(['loongarch64', 'm68k', 'sh', 'sheb']);
    for (const arch of seccompArchitectures) {
      const name = archName(arch);
      let failure: { syscall?: string } | undefined;
      try {
        compile(ALLOW, [name], []);
      } catch (e) {
        failure = e as { syscall?: string };
      }
      // seccomp_arch_add may refuse an architecture of the other byte order (EDOM): the name was resolved.
      if (failure?.syscall === 'seccomp_arch_resolve_name')
        expect(since26.has(name) && (major < 2 || (major === 2 && minor < 6)), `${arch} → ${name}`).toBe(true);
      else if (failure) expect(failure.syscall, `${arch} → ${name}`).toBe('seccomp_arch_add');
    }
  });
});

describe.skipIf(process.arch !== 'x64')('compileSeccomp semantics (x86_64)', () => {
  it('returns ERRNO(EPERM) for mkdir and allows the rest', () => {
    const { program } = compile(ALLOW, [], [rule('mkdir', EPERM)]);
    expect(run(program, NR.mkdir)).toBe(EPERM);
    expect(run(program, NR.getpid)).toBe(ALLOW);
    expect(run(program, 100000)).toBe(ALLOW);
    // An architecture not in the filter: libseccomp's bad-arch action (KILL).
    expect(run(program, NR.mkdir, { arch: AUDIT_ARCH_I386 })).toBe(KILL_THREAD);
  });

  it('uses value as the mask and valueTwo as the datum of MASKED_EQ', () => {
    const { program } = compile(ALLOW, [], [rule('socket', EPERM, [[0, MASKED_EQ, 0xffn, 16n]])]);
    expect(run(program, NR.socket, { args: [16n] })).toBe(EPERM);
    expect(run(program, NR.socket, { args: [0x110n] })).toBe(EPERM);
    expect(run(program, NR.socket, { args: [2n] })).toBe(ALLOW);
    expect(run(program, NR.socket, { args: [0xffn] })).toBe(ALLOW);
  });

  it('compares all 64 bits of an argument', () => {
    const { program } = compile(EPERM, [], [rule('personality', ALLOW, [[0, GE, 0x1_0000_0000n, 0n]])]);
    expect(run(program, NR.personality, { args: [0x1_0000_0000n] })).toBe(ALLOW);
    expect(run(program, NR.personality, { args: [0xffff_ffffn] })).toBe(EPERM);
  });

  it('ANDs conditions on different arguments and ORs conditions on the same one (runc)', () => {
    const and = compile(EPERM, [], [rule('write', ALLOW, [[0, EQ, 1n, 0n], [1, EQ, 5n, 0n]])]).program;
    expect(run(and, NR.write, { args: [1n, 5n] })).toBe(ALLOW);
    expect(run(and, NR.write, { args: [1n, 6n] })).toBe(EPERM);
    expect(run(and, NR.write, { args: [2n, 5n] })).toBe(EPERM);

    // One argument repeated: every condition of the rule becomes its own rule.
    const or = compile(EPERM, [], [rule('write', ALLOW, [[0, EQ, 1n, 0n], [0, EQ, 2n, 0n], [1, EQ, 5n, 0n]])]).program;
    expect(run(or, NR.write, { args: [1n, 0n] })).toBe(ALLOW);
    expect(run(or, NR.write, { args: [2n, 0n] })).toBe(ALLOW);
    expect(run(or, NR.write, { args: [3n, 5n] })).toBe(ALLOW);
    expect(run(or, NR.write, { args: [3n, 0n] })).toBe(EPERM);
  });

  it('prepends runc\'s -ENOSYS stub: syscalls newer than the profile get ENOSYS', () => {
    const { program } = compile(EPERM, [], [rule('read', ALLOW), rule('openat', ALLOW), rule('mkdir', EACCES)]);
    const insns = decode(program);
    expect(insns[0]).toEqual({ code: 0x20, jt: 0, jf: 0, k: 4 }); // ld [arch]
    expect(rets(program)).toContain(ENOSYS);
    expect(run(program, NR.read)).toBe(ALLOW);
    expect(run(program, NR.openat)).toBe(ALLOW);
    expect(run(program, NR.mkdir)).toBe(EACCES);
    expect(run(program, NR.getpid)).toBe(EPERM); // older than openat, not listed
    expect(run(program, NR.openat + 1)).toBe(ENOSYS);
    expect(run(program, NR.openat2)).toBe(ENOSYS);
    // An x32 call when only x86_64 is in the filter: left to the filter.
    expect(run(program, X32_BIT | 1000)).toBe(KILL_THREAD);
  });

  it('handles x86_64 and x32 together in the stub, and x86 in its own section', () => {
    const { program } = compile(EPERM, ['x86_64', 'x32', 'x86'], [rule('read', ALLOW), rule('openat', ALLOW)]);
    expect(run(program, NR.openat)).toBe(ALLOW);
    expect(run(program, NR.openat + 1)).toBe(ENOSYS);
    expect(run(program, X32_BIT | NR.read)).toBe(ALLOW);
    expect(run(program, X32_BIT | NR.openat)).toBe(ALLOW);
    expect(run(program, X32_BIT | 1000)).toBe(ENOSYS);
    expect(run(program, X32_BIT | NR.mkdir)).toBe(EPERM);
    // i386: read 3, openat 295.
    expect(run(program, 3, { arch: AUDIT_ARCH_I386 })).toBe(ALLOW);
    expect(run(program, 295, { arch: AUDIT_ARCH_I386 })).toBe(ALLOW);
    expect(run(program, 296, { arch: AUDIT_ARCH_I386 })).toBe(ENOSYS);
    expect(run(program, 20, { arch: AUDIT_ARCH_I386 })).toBe(EPERM);
  });

  it('adds no stub for a permissive or an ENOSYS default', () => {
    for (const def of [ALLOW, 0x7ffc0000 /* LOG */, 0x7ff00001 /* TRACE */, ENOSYS]) {
      const { program } = compile(def, [], [rule('openat', def === ALLOW ? EPERM : ALLOW)]);
      expect(run(program, NR.openat2)).toBe(def);
      expect(decode(program).filter((i) => i.code === 0x06 && i.k === ENOSYS).length).toBe(def === ENOSYS ? 1 : 0);
    }
  });

  it('keeps the meaning of long profiles (binary tree optimisation)', () => {
    const names = ['read', 'write', 'open', 'close', 'stat', 'fstat', 'lstat', 'poll', 'lseek', 'mmap', 'mprotect',
      'munmap', 'brk', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'ioctl', 'pread64', 'pwrite64', 'readv',
      'writev', 'access', 'pipe', 'select', 'sched_yield', 'mremap', 'msync', 'mincore', 'madvise', 'shmget', 'shmat',
      'shmctl', 'dup', 'dup2', 'pause', 'nanosleep', 'getitimer', 'alarm', 'setitimer', 'getpid'];
    expect(names).toHaveLength(40);
    const rules = [...names.map((n) => rule(n, ALLOW)), rule('exit_group', ALLOW), rule('openat', ALLOW)];
    const { program } = compile(EPERM, ['x86_64'], rules);
    for (let nr = 0; nr < 40; nr++) expect(run(program, nr), `nr ${nr}`).toBe(ALLOW);
    expect(run(program, NR.exit_group)).toBe(ALLOW);
    expect(run(program, NR.openat)).toBe(ALLOW);
    expect(run(program, NR.mkdir)).toBe(EPERM);
    expect(run(program, NR.openat2)).toBe(ENOSYS);
  });
});

describe('compileSpecSeccomp with the addon', () => {
  it('compiles once, then serves the same bytes from the cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsrun-seccomp-native-'));
    try {
      const opts = { cacheDir: join(dir, 'cache'), compile, libseccompVersion: addon.seccompVersion() };
      const spec = {
        defaultAction: 'SCMP_ACT_ERRNO' as const,
        architectures: ['SCMP_ARCH_X86_64' as const, 'SCMP_ARCH_X32' as const],
        syscalls: [{ names: ['read', 'write', 'tsrun_no_such_call'], action: 'SCMP_ACT_ALLOW' as const }],
      };
      const first = compileSpecSeccomp(spec, opts);
      const second = compileSpecSeccomp(spec, opts);
      expect(first.cached).toBe(false);
      expect(second.cached).toBe(true);
      expect(second.program.equals(first.program)).toBe(true);
      expect(second.skipped).toEqual(['tsrun_no_such_call']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('seccompArchKnown', () => {
  const addon = native();

  it("answers as libseccomp's seccomp_arch_resolve_name, which compileSeccomp uses", () => {
    expect(addon.seccompArchKnown('x86_64')).toBe(true);
    expect(addon.seccompArchKnown('vax')).toBe(false);
    expect(addon.seccompArchKnown('')).toBe(false);
    for (const arch of seccompArchitectures) {
      const name = archName(arch);
      let compiles = true;
      try {
        addon.compileSeccomp(0x7fff0000, [name], []);
      } catch (err) {
        // Known but of the other byte order: libseccomp resolves it, the filter cannot hold it.
        compiles = /byte order/.test((err as Error).message);
      }
      expect([arch, addon.seccompArchKnown(name)]).toEqual([arch, compiles]);
    }
  });
});
