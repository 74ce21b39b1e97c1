import { describe, expect, it } from 'vitest';
import { NO_UMASK, OpKind, PLAN_MAGIC, PLAN_VERSION, Tag } from '../../src/native/contract.js';
import { encodePlan } from '../../src/plan/encode.js';
import type { Plan } from '../../src/plan/plan.js';

function minimalPlan(over: Partial<Plan> = {}): Plan {
  return {
    mode: 0,
    nsNew: 0,
    joins: [],
    uidMaps: [],
    gidMaps: [],
    setgroupsDeny: false,
    hooks: [],
    hookStates: [],
    idmapMounts: [],
    fifo: '/run/x/exec.fifo',
    ops: [],
    process: { args: ['sh'], env: [], exe: ['/bin/sh'], cwd: '/', uid: 0, gid: 0, groups: [], rlimits: [], flags: 0, preserveFds: 0 },
    warnings: [],
    ...over,
  };
}

interface Rec {
  tag: number;
  body: Buffer;
}

/** Splits the buffer after the header into (tag, body) records, checking every length. */
function records(buf: Buffer): Rec[] {
  const out: Rec[] = [];
  let off = 8;
  while (off < buf.length) {
    const tag = buf.readUInt32LE(off);
    const len = buf.readUInt32LE(off + 4);
    expect(off + 8 + len).toBeLessThanOrEqual(buf.length);
    out.push({ tag, body: buf.subarray(off + 8, off + 8 + len) });
    off += 8 + len;
  }
  expect(off).toBe(buf.length);
  return out;
}

describe('encodePlan', () => {
  it('starts with the magic "TSPL" and the version, little endian', () => {
    const buf = encodePlan(minimalPlan());
    expect(buf.readUInt32LE(0)).toBe(PLAN_MAGIC);
    expect(buf.subarray(0, 4).toString('latin1')).toBe('TSPL');
    expect(buf.readUInt32LE(4)).toBe(PLAN_VERSION);
  });

  it('writes the mandatory records of a minimal plan in order', () => {
    const tags = records(encodePlan(minimalPlan())).map((r) => r.tag);
    expect(tags).toEqual([Tag.MODE, Tag.NS_NEW, Tag.FIFO, Tag.ARG, Tag.EXE, Tag.CWD, Tag.USER, Tag.PROCESS_FLAGS, Tag.PRESERVE_FDS]);
  });

  it('encodes a u64 field as 8 little-endian bytes', () => {
    const mode = records(encodePlan(minimalPlan({ mode: 1, nsNew: 0x70000000 })));
    expect(mode[0]!.body).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    expect(mode[1]!.body.readBigUInt64LE(0)).toBe(0x70000000n);
  });

  it('encodes a string as u32 byte length, UTF-8 bytes and a NUL', () => {
    const fifo = records(encodePlan(minimalPlan({ fifo: '/rün' }))).find((r) => r.tag === Tag.FIFO)!;
    const utf8 = Buffer.from('/rün', 'utf8');
    expect(fifo.body.readUInt32LE(0)).toBe(utf8.length);
    expect(fifo.body.subarray(4, 4 + utf8.length)).toEqual(utf8);
    expect(fifo.body[4 + utf8.length]).toBe(0);
    expect(fifo.body.length).toBe(4 + utf8.length + 1);
  });

  it('writes numbers above 32 bits and negative numbers as their 64-bit two\'s complement', () => {
    const op = records(
      encodePlan(minimalPlan({ ops: [{ kind: OpKind.MOUNT, flags: 2 ** 40 + 5, a: -1, b: Number.MAX_SAFE_INTEGER, c: -2n, d: 2 ** 32, s: ['', '', '', ''], what: 'x' }] })),
    ).find((r) => r.tag === Tag.OP)!;
    expect([8, 16, 24, 32, 40].map((o) => op.body.readBigUInt64LE(o))).toEqual([
      2n ** 40n + 5n,
      0xffffffffffffffffn,
      BigInt(Number.MAX_SAFE_INTEGER),
      0xfffffffffffffffen,
      2n ** 32n,
    ]);
  });

  it('grows past its first buffer without losing a record', () => {
    const env = Array.from({ length: 500 }, (_, i) => `VAR_${i}=${'v'.repeat(40)}é`);
    const p = minimalPlan();
    p.process.env = env;
    const got = records(encodePlan(p)).filter((r) => r.tag === Tag.ENV).map((r) => r.body.subarray(4, r.body.length - 1).toString('utf8'));
    expect(got).toEqual(env);
  });

  it('writes NO_UMASK when the process has no umask', () => {
    const user = records(encodePlan(minimalPlan())).find((r) => r.tag === Tag.USER)!;
    expect(user.body.readBigUInt64LE(16)).toBe(BigInt(NO_UMASK));
  });

  it('writes a negative oomScoreAdj as value + 1000', () => {
    const p = minimalPlan();
    p.process.oomScoreAdj = -1000;
    const rec = records(encodePlan(p)).find((r) => r.tag === Tag.OOM_SCORE_ADJ)!;
    expect(rec.body.readBigUInt64LE(0)).toBe(0n);
  });

  it('writes an op as six u64 and four strings', () => {
    const p = minimalPlan({
      ops: [{ kind: OpKind.MOUNT, flags: 2, a: 1, b: 2, c: 3, d: 0xffffffffffffffffn, s: ['a', '', 'ccc', ''], what: 'x' }],
    });
    const op = records(encodePlan(p)).find((r) => r.tag === Tag.OP)!;
    expect(op.body.length).toBe(6 * 8 + (4 + 1 + 1) + (4 + 0 + 1) + (4 + 3 + 1) + (4 + 0 + 1));
    expect(op.body.readBigUInt64LE(40)).toBe(0xffffffffffffffffn);
  });
});
