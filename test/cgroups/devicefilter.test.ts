import { describe, expect, it } from 'vitest';
import {
  BPF,
  BPF_DEVCG_ACC_MKNOD,
  BPF_DEVCG_ACC_READ,
  BPF_DEVCG_ACC_WRITE,
  BPF_DEVCG_DEV_BLOCK,
  BPF_DEVCG_DEV_CHAR,
  DEVICE_FILTER_LICENSE,
  deviceFilterProgram,
} from '../../src/cgroups/devicefilter.js';
import { deviceRules, type DeviceRule } from '../../src/cgroups/devices.js';

const MASK64 = (1n << 64n) - 1n;
const u32 = (v: bigint) => v & 0xffffffffn;

/**
 * A minimal eBPF interpreter for the instructions the generator emits, run on a struct bpf_cgroup_dev_ctx
 * { u32 access_type; u32 major; u32 minor } with R1 pointing at it. Returns R0.
 */
function run(prog: Buffer, ctx: { accessType: number; major: number; minor: number }): number {
  if (prog.length % 8 !== 0) throw new Error('not a whole number of instructions');
  const mem = Buffer.alloc(12);
  mem.writeUInt32LE(ctx.accessType >>> 0, 0);
  mem.writeUInt32LE(ctx.major >>> 0, 4);
  mem.writeUInt32LE(ctx.minor >>> 0, 8);
  const CTX = 0x1000n;
  const r: bigint[] = new Array(11).fill(0n);
  r[1] = CTX;
  const n = prog.length / 8;
  let pc = 0;
  for (let steps = 0; steps < 10_000; steps++) {
    if (pc < 0 || pc >= n) throw new Error(`pc ${pc} out of the program`);
    const code = prog.readUInt8(pc * 8);
    const regs = prog.readUInt8(pc * 8 + 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = prog.readInt32LE(pc * 8 + 4);
    const immU32 = BigInt(imm >>> 0);
    const immS64 = BigInt.asUintN(64, BigInt(imm));
    pc++;
    switch (code) {
      case BPF.LDX_MEM_W: {
        if (r[src] !== CTX || off % 4 !== 0 || off > 8) throw new Error(`bad load at ${pc - 1}`);
        r[dst] = BigInt(mem.readUInt32LE(off));
        break;
      }
      case BPF.ALU_AND_K:
        r[dst] = u32(r[dst]! & immU32);
        break;
      case BPF.ALU_RSH_K:
        r[dst] = u32(r[dst]!) >> immU32;
        break;
      case BPF.ALU_MOV_K:
        r[dst] = immU32;
        break;
      case BPF.ALU_MOV_X:
        r[dst] = u32(r[src]!);
        break;
      case BPF.JMP_JNE_K:
        if (off < 0) throw new Error('backward jump');
        if ((r[dst]! & MASK64) !== immS64) pc += off;
        break;
      case BPF.JMP_JNE_X:
        if (off < 0) throw new Error('backward jump');
        if (r[dst] !== r[src]) pc += off;
        break;
      case BPF.JMP_EXIT:
        return Number(r[0]);
      default:
        throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error('program did not exit');
}

const ACC = { r: BPF_DEVCG_ACC_READ, w: BPF_DEVCG_ACC_WRITE, m: BPF_DEVCG_ACC_MKNOD } as const;

function check(prog: Buffer, type: 'b' | 'c', major: number, minor: number, access: string): boolean {
  let acc = 0;
  for (const ch of access) acc |= ACC[ch as keyof typeof ACC];
  const devType = type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
  const r0 = run(prog, { accessType: devType | (acc << 16), major, minor });
  if (r0 !== 0 && r0 !== 1) throw new Error(`R0 = ${r0}`);
  return r0 === 1;
}

const rule = (s: string): DeviceRule => {
  const [verb, type, mm, access] = s.split(' ') as [string, 'a' | 'b' | 'c', string, string];
  const [major, minor] = mm.split(':').map((x) => (x === '*' ? -1 : Number(x))) as [number, number];
  return { type, major, minor, access, allow: verb === 'allow' };
};

describe('deviceFilterProgram', () => {
  it('encodes 8-byte little-endian instructions and starts by loading the context', () => {
    const prog = deviceFilterProgram([rule('deny a *:* rwm'), rule('allow c 1:3 rwm')]);
    expect(DEVICE_FILTER_LICENSE).toBe('Apache');
    // ldxw r2, [r1+0]; and32 r2, 0xffff; ldxw r3, [r1+0]; rsh32 r3, 16; ldxw r4, [r1+4]; ldxw r5, [r1+8]
    expect(prog.subarray(0, 48).toString('hex')).toBe(
      '6112000000000000' + '54020000ffff0000' + '6113000000000000' + '7403000010000000' + '6114040000000000' + '6115080000000000',
    );
    // block: jne r2, 2 (char) +4; jne r4, 1 +3; jne r5, 3 +2; mov32 r0, 1; exit; then the default: mov32 r0, 0; exit
    expect(prog.subarray(48).toString('hex')).toBe(
      ['5502040002000000', '5504030001000000', '5505020003000000', 'b400000001000000', '9500000000000000', 'b400000000000000', '9500000000000000'].join(''),
    );
  });

  it("allows exactly what runc's default rules allow (white-list)", () => {
    const prog = deviceFilterProgram(deviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 4, access: 'rw' }], []));
    const table: [type: 'b' | 'c', major: number, minor: number, access: string, allowed: boolean][] = [
      ['c', 1, 3, 'r', true],
      ['c', 1, 3, 'rw', true],
      ['c', 1, 3, 'rwm', true],
      ['c', 1, 4, 'r', false],
      ['c', 1, 4, 'm', true], // c *:* m
      ['b', 8, 0, 'm', true], // b *:* m
      ['b', 8, 0, 'r', false],
      ['c', 136, 5, 'rw', true], // /dev/pts/*
      ['c', 5, 2, 'rw', true], // /dev/ptmx
      ['c', 10, 200, 'rw', true], // /dev/net/tun
      ['c', 5, 1, 'rw', false], // /dev/console
      ['c', 4, 7, 'rw', true], // the spec's c 4:* rw
      ['c', 4, 7, 'w', true],
      ['c', 4, 7, 'm', true],
      ['c', 4, 7, 'rm', false], // no single rule grants both
      ['b', 4, 7, 'r', false],
    ];
    for (const [t, ma, mi, acc, want] of table) expect(check(prog, t, ma, mi, acc), `${t} ${ma}:${mi} ${acc}`).toBe(want);
  });

  it('denies everything for a single deny-all rule and allows everything for allow-all', () => {
    const deny = deviceFilterProgram([rule('deny a *:* rwm')]);
    const allow = deviceFilterProgram([rule('allow a *:* rwm')]);
    expect(deny.length).toBe(8 * 8);
    for (const [t, ma, mi] of [['c', 1, 3], ['b', 8, 0], ['c', 0, 0]] as const) {
      expect(check(deny, t, ma, mi, 'r')).toBe(false);
      expect(check(allow, t, ma, mi, 'rwm')).toBe(true);
    }
  });

  it('keeps a black-list: allowed by default, the deny exceptions refused', () => {
    const prog = deviceFilterProgram([rule('allow a *:* rwm'), rule('deny c 1:3 rwm'), rule('deny b 8:* w')]);
    expect(check(prog, 'c', 1, 3, 'r')).toBe(false);
    expect(check(prog, 'c', 1, 4, 'r')).toBe(true);
    expect(check(prog, 'b', 8, 1, 'w')).toBe(false);
    expect(check(prog, 'b', 8, 1, 'r')).toBe(true);
    // As runc's (and crun's) program: a partial-access exception matches only requests within it.
    expect(check(prog, 'b', 8, 1, 'rw')).toBe(true);
    expect(check(prog, 'b', 9, 1, 'w')).toBe(true);
  });

  it('applies rules in order like the v1 kernel: a later deny-all resets, removals are exact', () => {
    const prog = deviceFilterProgram([rule('allow c 1:3 rwm'), rule('deny a *:* rwm'), rule('allow c 1:5 r'), rule('allow c 1:5 w'), rule('deny c 1:5 w')]);
    expect(check(prog, 'c', 1, 3, 'r')).toBe(false);
    expect(check(prog, 'c', 1, 5, 'r')).toBe(true);
    expect(check(prog, 'c', 1, 5, 'w')).toBe(false);
  });

  it('matches a reference model on random white- and black-lists', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pick = <T,>(xs: readonly T[]) => xs[rand(xs.length)]!;
    const accesses = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'] as const;
    const failures: string[] = [];
    for (let iter = 0; iter < 200; iter++) {
      const blacklist = rand(2) === 1;
      const rules: DeviceRule[] = [rule(blacklist ? 'allow a *:* rwm' : 'deny a *:* rwm')];
      for (let i = rand(6); i > 0; i--) {
        rules.push({ type: pick(['b', 'c'] as const), major: pick([-1, 1, 2]), minor: pick([-1, 3, 4]), access: pick(accesses), allow: !blacklist });
      }
      // Reference: exceptions merged per exact (type, major, minor); a request matches one that has all its access.
      const merged = new Map<string, { r: DeviceRule; set: Set<string> }>();
      for (const r of rules.slice(1)) {
        const k = `${r.type} ${r.major} ${r.minor}`;
        const e = merged.get(k) ?? { r, set: new Set<string>() };
        for (const ch of r.access) e.set.add(ch);
        merged.set(k, e);
      }
      const prog = deviceFilterProgram(rules);
      for (const t of ['b', 'c'] as const) {
        for (const ma of [1, 2, 7]) {
          for (const mi of [3, 4, 9]) {
            for (const acc of accesses) {
              const hit = [...merged.values()].some(
                ({ r, set }) => r.type === t && (r.major === -1 || r.major === ma) && (r.minor === -1 || r.minor === mi) && [...acc].every((ch) => set.has(ch)),
              );
              if (check(prog, t, ma, mi, acc) !== (blacklist ? !hit : hit)) {
                failures.push(`${JSON.stringify(rules)} ${t} ${ma}:${mi} ${acc}`);
              }
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('takes only -1 as the wildcard: another negative number would allow every major or minor', () => {
    const r = (major: number, minor: number): DeviceRule => ({ type: 'c', major, minor, access: 'rwm', allow: true });
    expect(() => deviceFilterProgram([r(-2, 1)])).toThrow('invalid major -2');
    expect(() => deviceFilterProgram([r(1, -7)])).toThrow('invalid minor -7');
  });

  it('refuses rules the v1 kernel would silently ignore', () => {
    expect(() => deviceFilterProgram([rule('allow c *:* rwm'), rule('deny c 1:3 r')])).toThrow('cannot punch hole in existing wildcard rule');
  });
});
