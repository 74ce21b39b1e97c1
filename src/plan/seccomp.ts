/**
 * linux.seccomp → the input of the addon's compileSeccomp, and the compiled BPF program (cached on disk).
 *
 * The mapping follows runc (libcontainer/specconv and libcontainer/seccomp): SCMP_ACT_KILL is KILL_THREAD, a
 * missing errnoRet means EPERM, a missing `flags` means SECCOMP_FILTER_FLAG_SPEC_ALLOW, TSYNC is accepted
 * and ignored, and NOTIFY is refused as the default action and for write(2).
 *
 * Everything here is pure except compileSpecSeccomp, which calls the compiler it is given and reads and
 * writes its cache directory.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { TsrunError } from '../errors.js';
import { O_CLOEXEC, writeFileAtomic } from '../util/fs.js';
import { sha256 } from '../util/sha256.js';
import type { SeccompRule } from '../native/contract.js';
import type { LinuxSeccomp } from '../spec/schema.js';

const EPERM = 1;

/** SCMP_ACT_* values (libseccomp's seccomp.h), without their 16 data bits. */
const ACTIONS: Record<string, number> = {
  SCMP_ACT_KILL: 0x00000000, // = KILL_THREAD, as runc
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
  SCMP_ACT_NOTIFY: 0x7fc00000,
};

/** The runtime-spec's SCMP_ARCH_* → the names libseccomp's seccomp_arch_resolve_name knows. */
const ARCHES: Record<string, string> = {
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_LOONGARCH64: 'loongarch64',
  SCMP_ARCH_M68K: 'm68k',
  SCMP_ARCH_MIPS: 'mips',
  SCMP_ARCH_MIPS64: 'mips64',
  SCMP_ARCH_MIPS64N32: 'mips64n32',
  SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64',
  SCMP_ARCH_MIPSEL64N32: 'mipsel64n32',
  SCMP_ARCH_PPC: 'ppc',
  SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390: 's390',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_SH: 'sh',
  SCMP_ARCH_SHEB: 'sheb',
  SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64',
  SCMP_ARCH_RISCV64: 'riscv64',
};

/** enum scmp_compare. */
const OPERATORS: Record<string, number> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/** seccomp(2) SECCOMP_FILTER_FLAG_* bits. */
export const SeccompFlag = {
  TSYNC: 1,
  LOG: 2,
  SPEC_ALLOW: 4,
  NEW_LISTENER: 8,
  TSYNC_ESRCH: 16,
  WAIT_KILLABLE_RECV: 32,
} as const;

const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: SeccompFlag.TSYNC,
  SECCOMP_FILTER_FLAG_LOG: SeccompFlag.LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: SeccompFlag.SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_NEW_LISTENER: SeccompFlag.NEW_LISTENER,
  SECCOMP_FILTER_FLAG_TSYNC_ESRCH: SeccompFlag.TSYNC_ESRCH,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: SeccompFlag.WAIT_KILLABLE_RECV,
};

/** The names this runtime accepts, for `features`. */
export const seccompNames = {
  actions: Object.keys(ACTIONS),
  operators: Object.keys(OPERATORS),
  archs: Object.keys(ARCHES),
  flags: Object.keys(FLAGS),
};

function lookup(table: Record<string, number>, key: string, what: string): number {
  const v = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
  if (v === undefined) throw new TsrunError(`seccomp: unknown ${what} ${JSON.stringify(key)}`);
  return v;
}

/**
 * The SCMP_ACT_* value of an action, as an unsigned 32-bit number. ERRNO and TRACE carry errnoRet (EPERM
 * when missing) in their low 16 bits; like runc, only those 16 bits of errnoRet are kept.
 */
export function actionValue(action: string, errnoRet: number | undefined): number {
  const base = lookup(ACTIONS, action, 'action');
  if (action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE') return (base | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
  return base >>> 0;
}

/** libseccomp's name of a runtime-spec architecture (SCMP_ARCH_X86_64 → "x86_64"). */
export function archName(arch: string): string {
  const v = Object.prototype.hasOwnProperty.call(ARCHES, arch) ? ARCHES[arch] : undefined;
  if (v === undefined) throw new TsrunError(`seccomp: unknown architecture ${JSON.stringify(arch)}`);
  return v;
}

/** Asks the linked libseccomp whether it resolves an architecture name (the addon's seccompArchKnown). */
export type ArchResolver = (libseccompName: string) => boolean;

/** The runtime-spec architectures the linked libseccomp knows, for `features` (sorted). */
export function supportedArchs(knows: ArchResolver): string[] {
  return Object.entries(ARCHES)
    .filter(([, lib]) => knows(lib))
    .map(([spec]) => spec)
    .sort();
}

/**
 * linux.seccomp.architectures that the linked libseccomp cannot resolve, one problem per entry with its JSON
 * path (found before anything is made; libseccomp alone would only say "invalid argument").
 */
export function seccompArchProblems(seccomp: LinuxSeccomp | undefined, knows: ArchResolver, libseccompVersion: string): string[] {
  const problems: string[] = [];
  (seccomp?.architectures ?? []).forEach((arch, i) => {
    const lib = Object.prototype.hasOwnProperty.call(ARCHES, arch) ? ARCHES[arch] : undefined;
    if (lib === undefined) problems.push(`linux.seccomp.architectures[${i}]: unknown architecture ${JSON.stringify(arch)}`);
    else if (!knows(lib))
      problems.push(`linux.seccomp.architectures[${i}]: architecture ${JSON.stringify(arch)} is not supported by the linked libseccomp ${libseccompVersion}`);
  });
  return problems;
}

/** enum scmp_compare value of SCMP_CMP_*. */
export function operatorValue(op: string): number {
  return lookup(OPERATORS, op, 'operator');
}

/** The seccomp(2) bit of a SECCOMP_FILTER_FLAG_* name. */
export function flagValue(name: string): number {
  return lookup(FLAGS, name, 'flag');
}

export interface SeccompRules {
  /** SCMP_ACT_* value of the default action, defaultErrnoRet included. */
  defaultAction: number;
  /** libseccomp architecture names, in spec order, without duplicates (the native one is always in). */
  architectures: string[];
  /** One rule per (syscall entry × name), in spec order. */
  rules: SeccompRule[];
  /** seccomp(2) flags the init loads the program with. */
  flags: number;
  /** Some action is SCMP_ACT_NOTIFY: the load returns a listener fd. */
  usesNotify: boolean;
}

const U64_MAX = (1n << 64n) - 1n;

// JSON numbers: UINT64_MAX parses as 2^64, which the schema accepts; it means UINT64_MAX.
function u64(v: number): bigint {
  if (!Number.isInteger(v) || v < 0) throw new TsrunError(`seccomp: argument value ${v} is not an unsigned integer`);
  const b = BigInt(v);
  return b > U64_MAX ? U64_MAX : b;
}

/** The compiler's input for linux.seccomp, and the flags to load the result with. */
export function seccompRules(seccomp: LinuxSeccomp): SeccompRules {
  const defaultAction = actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet);
  // A notifying default would also catch the init's own writes that hand the listener out.
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY')
    throw new TsrunError('SCMP_ACT_NOTIFY cannot be used as default action');

  const architectures = [...new Set((seccomp.architectures ?? []).map(archName))];

  const rules: SeccompRule[] = [];
  let usesNotify = false;
  for (const call of seccomp.syscalls ?? []) {
    const action = actionValue(call.action, call.errnoRet);
    const args = (call.args ?? []).map(
      (a): [number, number, bigint, bigint] => [a.index, operatorValue(a.op), u64(a.value), u64(a.valueTwo ?? 0)],
    );
    if (call.action === 'SCMP_ACT_NOTIFY') {
      usesNotify = true;
      if (call.names.includes('write')) throw new TsrunError('SCMP_ACT_NOTIFY cannot be used for the write syscall');
    }
    for (const name of call.names) rules.push({ name, action, args: args.map(([i, op, v, v2]) => [i, op, v, v2]) });
  }

  // No `flags` at all: runc's default, SPEC_ALLOW (no forced speculative store bypass mitigation). TSYNC is
  // meaningless for the single-threaded init, and the kernel refuses it next to NEW_LISTENER: runc drops it.
  let flags = seccomp.flags === undefined ? SeccompFlag.SPEC_ALLOW : 0;
  for (const f of seccomp.flags ?? []) {
    const bit = flagValue(f);
    if (bit !== SeccompFlag.TSYNC) flags |= bit;
  }
  if (usesNotify) flags |= SeccompFlag.NEW_LISTENER;

  return { defaultAction, architectures, rules, flags: flags >>> 0, usesNotify };
}

export type SeccompCompiler = (
  defaultAction: number,
  architectures: string[],
  rules: SeccompRule[],
) => { program: Buffer; skipped: string[] };

export interface CompileSeccompOptions {
  /** Where compiled programs are kept; none: always compile. */
  cacheDir?: string;
  /** The addon's compileSeccomp (or a stand-in). */
  compile: SeccompCompiler;
  /** Version of the libseccomp behind `compile`: part of the cache key. */
  libseccompVersion: string;
}

export interface CompiledSeccomp {
  /** struct sock_filter[] in host byte order. */
  program: Buffer;
  /** seccomp(2) flags. */
  flags: number;
  usesNotify: boolean;
  /** Syscall names the compiling libseccomp did not know (left out of the filter, as runc does). */
  skipped: string[];
  /** The program came from the cache. */
  cached: boolean;
}

/*
 * Cache file <cacheDir>/<key>.bpf, key = sha256 (hex) of the canonical JSON of the compiler input, the flags,
 * the libseccomp version, process.arch and CACHE_FORMAT (bumped whenever the native compilation changes):
 *
 *   0   8 bytes  magic "TSRSCMP\n"
 *   8   u32 LE   CACHE_FORMAT
 *   12  u32 LE   program length in bytes (> 0, a multiple of 8)
 *   16  u32 LE   length of the skipped-names JSON
 *   20  32 bytes sha256 of key ‖ program ‖ skipped JSON
 *   52  program, then the skipped names as a JSON array of strings
 *
 * Anything that does not check out (short, torn, renamed, not ours) is ignored and compiled again. Files are
 * written to a temporary name (0600) and renamed into place, so a reader never sees half a file.
 */
const CACHE_MAGIC = Buffer.from('TSRSCMP\n', 'latin1');
const CACHE_FORMAT = 1;
const HEADER = 52;

function cacheKey(r: SeccompRules, libseccompVersion: string): string {
  const canonical = JSON.stringify([
    CACHE_FORMAT,
    libseccompVersion,
    process.arch,
    r.defaultAction,
    r.architectures,
    r.rules.map((x) => [x.name, x.action, x.args.map(([i, op, v, v2]) => [i, op, v.toString(), v2.toString()])]),
    r.flags,
    r.usesNotify,
  ]);
  return sha256().update(canonical).digest().toString('hex');
}

function digest(key: string, program: Buffer, skipped: Buffer): Buffer {
  return sha256().update(key, 'latin1').update(program).update(skipped).digest();
}

/** The longest filter the kernel loads: BPF_MAXINSNS instructions of 8 bytes. */
export const BPF_PROGRAM_LIMIT = 4096 * 8;

function readCache(file: string, key: string): { program: Buffer; skipped: string[] } | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | O_CLOEXEC);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    // A filter someone else could have written is no filter to trust.
    if (!st.isFile() || (st.mode & 0o022) !== 0 || (process.getuid && st.uid !== process.getuid())) return undefined;
    if (st.size < HEADER + 8 || st.size > HEADER + BPF_PROGRAM_LIMIT + (1 << 20)) return undefined;
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) return undefined;
      off += n;
    }
    if (!buf.subarray(0, 8).equals(CACHE_MAGIC) || buf.readUInt32LE(8) !== CACHE_FORMAT) return undefined;
    const progLen = buf.readUInt32LE(12);
    const skipLen = buf.readUInt32LE(16);
    if (progLen === 0 || progLen % 8 !== 0 || HEADER + progLen + skipLen !== buf.length) return undefined;
    const program = Buffer.from(buf.subarray(HEADER, HEADER + progLen));
    const skippedJson = buf.subarray(HEADER + progLen);
    if (!digest(key, program, skippedJson).equals(buf.subarray(20, HEADER))) return undefined;
    const skipped: unknown = JSON.parse(skippedJson.toString('utf8'));
    if (!Array.isArray(skipped) || !skipped.every((s) => typeof s === 'string')) return undefined;
    return { program, skipped: skipped as string[] };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

// Best effort: a cache that cannot be written costs a compile next time, never a container.
function writeCache(dir: string, file: string, key: string, program: Buffer, skipped: string[]): void {
  const skippedJson = Buffer.from(JSON.stringify(skipped), 'utf8');
  const header = Buffer.alloc(HEADER);
  CACHE_MAGIC.copy(header, 0);
  header.writeUInt32LE(CACHE_FORMAT, 8);
  header.writeUInt32LE(program.length, 12);
  header.writeUInt32LE(skippedJson.length, 16);
  digest(key, program, skippedJson).copy(header, 20);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(file, Buffer.concat([header, program, skippedJson]), 0o600);
  } catch {
    // not cached: compiled again next time
  }
}

/** linux.seccomp compiled to a BPF program, from the cache when an identical filter was compiled before. */
export function compileSpecSeccomp(seccomp: LinuxSeccomp, opts: CompileSeccompOptions): CompiledSeccomp {
  const r = seccompRules(seccomp);
  const base = { flags: r.flags, usesNotify: r.usesNotify };
  if (opts.cacheDir === undefined) {
    const { program, skipped } = opts.compile(r.defaultAction, r.architectures, r.rules);
    return { program, skipped, ...base, cached: false };
  }
  const key = cacheKey(r, opts.libseccompVersion);
  const file = join(opts.cacheDir, `${key}.bpf`);
  const hit = readCache(file, key);
  if (hit) return { ...hit, ...base, cached: true };
  const { program, skipped } = opts.compile(r.defaultAction, r.architectures, r.rules);
  writeCache(opts.cacheDir, file, key, program, skipped);
  return { program, skipped, ...base, cached: false };
}
