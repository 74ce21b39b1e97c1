/**
 * src/native/contract.ts is the only definition of the TypeScript ↔ native contract; the build generates the C++
 * header from it (scripts/gen-contract.ts). These tests read every constant back from compiled C++
 * (build/Release/tsrun-contract-dump) and run the shim's own frame, log and exit-record code
 * (addon/launcher/shim_proto.h) against the TypeScript side, both ways.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as contract from '../../src/native/contract.js';
import { ATTACH_FRAME_MAX, ExitField, FrameLayout, InputFrame, LogChar, LogStream, LogTag, NativeType, OutputFrame, ResizeLayout } from '../../src/native/contract.js';
import { LineAssembler } from '../../src/runtime/logs.js';
import { Frame, frame, parseFrames, resizePayload } from '../../src/runtime/shim.js';
import { readExitRecord } from '../../src/runtime/state.js';
import { generate } from '../../scripts/gen-contract.js';

const BUILD = fileURLToPath(new URL('../../build/', import.meta.url));
const DUMP = join(BUILD, 'Release/tsrun-contract-dump');
const HEADER = join(BUILD, 'generated/contract.gen.h');

function dump(args: string[], input: Buffer | string = ''): Buffer {
  const r = spawnSync(DUMP, args, { input });
  if (r.status !== 0) throw new Error(`tsrun-contract-dump ${args.join(' ')}: status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

interface Dumped {
  numbers: { group: string; name: string; value: string; size: number; signed: boolean }[];
  strings: { group: string; name: string; value: string }[];
  chars: { group: string; name: string; value: string }[];
}

const CTYPES: Record<string, { size: number; signed: boolean }> = {
  uint8_t: { size: 1, signed: false },
  uint32_t: { size: 4, signed: false },
  uint64_t: { size: 8, signed: false },
  int32_t: { size: 4, signed: true },
};

/** Every constant of contract.ts as group ("" at the top level) → name → value. */
function tsConstants(): Map<string, Map<string, number | string>> {
  const out = new Map<string, Map<string, number | string>>();
  for (const [name, value] of Object.entries(contract)) {
    if (name === 'NativeType' || typeof value === 'function') continue;
    if (typeof value === 'object' && value !== null) out.set(name, new Map(Object.entries(value as Record<string, number | string>)));
    else {
      if (!out.has('')) out.set('', new Map());
      out.get('')!.set(name, value as number | string);
    }
  }
  return out;
}

const typeOf = (group: string, name: string) => (NativeType as Record<string, string>)[group === '' ? name : group];

describe('the generated header', () => {
  beforeAll(() => {
    expect(existsSync(DUMP), `${DUMP} (build it with npm run build:native)`).toBe(true);
  });

  it('is what scripts/gen-contract.ts makes of contract.ts now (the build is not stale)', () => {
    expect(readFileSync(HEADER, 'utf8')).toBe(generate());
  });

  it('holds every constant of contract.ts, with the same value and the C++ type NativeType names, and nothing else', () => {
    const d = JSON.parse(dump(['constants']).toString('utf8')) as Dumped;
    const native = new Map<string, number | string>();
    for (const n of d.numbers) {
      const t = typeOf(n.group, n.name);
      expect(CTYPES[t!], `${n.group}::${n.name} is ${t}`).toEqual({ size: n.size, signed: n.signed });
      native.set(`${n.group}::${n.name}`, Number(BigInt(n.value)));
    }
    for (const s of d.strings) {
      expect(typeOf(s.group, s.name), `${s.group}::${s.name}`).toBe('string');
      native.set(`${s.group}::${s.name}`, s.value);
    }
    for (const c of d.chars) {
      expect(typeOf(c.group, c.name), `${c.group}::${c.name}`).toBe('char');
      native.set(`${c.group}::${c.name}`, c.value);
    }
    const ts = new Map<string, number | string>();
    for (const [g, entries] of tsConstants()) for (const [k, v] of entries) ts.set(`${g}::${k}`, v);
    expect([...native.keys()].sort()).toEqual([...ts.keys()].sort());
    for (const [k, v] of ts) expect(native.get(k), k).toBe(v);
    // The groups the old hand-kept header had, and the shim's protocol, are all there.
    for (const g of ['Tag', 'ShimMode', 'ShimFlag', 'HookPhase', 'LaunchMode', 'ProcessFlag', 'OpKind', 'OpFlag', 'Msg', 'Step', 'StateFile', 'StateField', 'ExitField',
      'MsgLayout', 'FrameLayout', 'OutputFrame', 'InputFrame', 'ResizeLayout', 'ShimFile', 'LogStream', 'LogTag', 'LogChar'])
      expect([...native.keys()].some((k) => k.startsWith(`${g}::`)), g).toBe(true);
    expect(ts.size).toBeGreaterThan(200);
  });

  it('keeps the values the hand-written header had (nothing changes at run time)', () => {
    const d = JSON.parse(dump(['constants']).toString('utf8')) as Dumped;
    const v = (g: string, n: string) => d.numbers.find((x) => x.group === g && x.name === n)?.value;
    expect(v('', 'PLAN_MAGIC')).toBe(String(0x4c505354));
    expect(v('', 'NO_UMASK')).toBe(String(0xffffffff));
    expect(v('', 'MSG_SIZE')).toBe('16');
    expect(v('Tag', 'SHIM')).toBe('36');
    expect(v('Step', 'OP_IN_PROC')).toBe('126');
    expect(v('OpFlag', 'PROC_ALLOWED')).toBe('128');
    expect(d.strings.find((x) => x.group === 'StateFile' && x.name === 'ATTACH_SOCKET')?.value).toBe('attach.sock');
  });
});

describe('the generator', () => {
  const base = { NativeType: { A: 'uint32_t', G: 'string', C: 'char' }, A: 1, G: { X: 'a"b\\c\n\u00e9' }, C: { N: '\n', Q: "'" } };

  it('spells strings and characters as C++ literals', () => {
    const h = generate(base);
    expect(h).toContain('constexpr uint32_t A = 1;');
    expect(h).toContain('constexpr const char* X = "a\\"b\\\\c\\012\\303\\251";');
    expect(h).toContain("constexpr char N = '\\012';");
    expect(h).toContain("constexpr char Q = '\\'';");
  });

  it('refuses a constant without a C++ type, a type without a constant, and values their type cannot hold', () => {
    expect(() => generate({ ...base, B: 2 })).toThrow(/B has no C\+\+ type/);
    expect(() => generate({ ...base, NativeType: { ...base.NativeType, Z: 'uint32_t' } })).toThrow(/Z, which contract.ts does not export/);
    expect(() => generate({ ...base, A: 2 ** 32 })).toThrow(/does not fit in uint32_t/);
    expect(() => generate({ ...base, NativeType: { ...base.NativeType, A: 'int32_t' }, A: 2 ** 31 })).toThrow(/does not fit in int32_t/);
    expect(() => generate({ ...base, A: 1.5 })).toThrow(/not an integer/);
    expect(() => generate({ ...base, C: { N: 'ab' } })).toThrow(/one ASCII character/);
    expect(() => generate({ ...base, G: { X: 1 } })).toThrow(/not a string/);
    expect(() => generate({ ...base, G: { 'not-an-identifier': 'x' } })).toThrow(/not a C\+\+ identifier/);
  });
});

describe('attach frames: TypeScript ↔ the shim', () => {
  const payloads = [Buffer.alloc(0), Buffer.from('hello\n'), Buffer.from([0, 1, 2, 255, 254, 10, 13]), Buffer.alloc(70_000, 0xab)];

  it('the shim reads every frame tsrun writes, in order, with its type and payload', () => {
    const frames = payloads.map((p, i) => frame([InputFrame.STDIN, InputFrame.CLOSE_STDIN, InputFrame.STDIN, InputFrame.STDIN][i]!, p));
    const resize = frame(Frame.RESIZE, resizePayload(50, 200));
    const tail = frame(InputFrame.STDIN, Buffer.from('incomplete')).subarray(0, 8);
    const r = JSON.parse(dump(['decode-frames'], Buffer.concat([...frames, resize, tail])).toString('utf8')) as {
      frames: { type: number; payload: string; rows?: number; cols?: number }[];
      rest: number | string;
    };
    expect(r.frames.slice(0, 4)).toEqual(payloads.map((p, i) => ({ type: [0, 2, 0, 0][i], payload: p.toString('hex') })));
    expect(r.frames[4]).toEqual({ type: InputFrame.RESIZE, payload: resizePayload(50, 200).toString('hex'), rows: 50, cols: 200 });
    expect(r.frames).toHaveLength(5);
    expect(r.rest).toBe(8);
  });

  it('the shim refuses a frame longer than ATTACH_FRAME_MAX, after the frames before it', () => {
    const big = Buffer.alloc(FrameLayout.HEADER_SIZE);
    big.writeUInt8(InputFrame.STDIN, FrameLayout.TYPE);
    big.writeUInt32LE(ATTACH_FRAME_MAX + 1, FrameLayout.LENGTH);
    const r = JSON.parse(dump(['decode-frames'], Buffer.concat([frame(InputFrame.STDIN, Buffer.from('a')), big])).toString('utf8'));
    expect(r).toEqual({ frames: [{ type: 0, payload: '61' }], rest: 'too large' });
    // At the limit is fine (the frame is merely incomplete here).
    big.writeUInt32LE(ATTACH_FRAME_MAX, FrameLayout.LENGTH);
    expect(JSON.parse(dump(['decode-frames'], big).toString('utf8'))).toEqual({ frames: [], rest: FrameLayout.HEADER_SIZE });
  });

  it('tsrun reads every frame the shim writes, byte for byte', () => {
    for (const type of [OutputFrame.STDOUT, OutputFrame.STDERR]) {
      for (const p of payloads) {
        const wire = dump(['encode-frame', String(type)], p);
        expect(wire.equals(frame(type, p))).toBe(true);
        const got: [number, Buffer][] = [];
        // Split anywhere: frames arrive in pieces over the socket.
        const cut = Math.min(3, wire.length);
        let rest = parseFrames(wire.subarray(0, cut), (t, b) => got.push([t, Buffer.from(b)]));
        rest = parseFrames(Buffer.concat([rest, wire.subarray(cut)]), (t, b) => got.push([t, Buffer.from(b)]));
        expect(rest.length).toBe(0);
        expect(got).toEqual([[type, p]]);
      }
    }
  });
});

describe('container.log records: the shim → logs', () => {
  const TIME = '2024-05-06T07:08:09.123456789Z';

  it('writes CRI records that LineAssembler joins back into the lines written', () => {
    const out = 'first line\nsecond  with  spaces\n\nunfinished';
    const err = 'oops\n';
    const stdout = dump(['log-records', String(OutputFrame.STDOUT), TIME], out).toString('utf8');
    const stderr = dump(['log-records', String(OutputFrame.STDERR), TIME], err).toString('utf8');
    const S = LogChar.SEPARATOR;
    expect(stdout).toBe(
      [
        `${TIME}${S}${LogStream.STDOUT}${S}${LogTag.FULL}${S}first line`,
        `${TIME}${S}${LogStream.STDOUT}${S}${LogTag.FULL}${S}second  with  spaces`,
        `${TIME}${S}${LogStream.STDOUT}${S}${LogTag.FULL}${S}`,
        `${TIME}${S}${LogStream.STDOUT}${S}${LogTag.PARTIAL}${S}unfinished`,
      ].join(LogChar.END) + LogChar.END,
    );
    const asm = new LineAssembler();
    // The rest of the unfinished line comes in a later read.
    const more = dump(['log-records', String(OutputFrame.STDOUT), TIME], ' now finished\n').toString('utf8');
    const lines = [...asm.feed(stdout), ...asm.feed(stderr), ...asm.feed(more), ...asm.unfinished()];
    expect(lines).toEqual([
      { time: TIME, stream: 'stdout', text: 'first line', complete: true },
      { time: TIME, stream: 'stdout', text: 'second  with  spaces', complete: true },
      { time: TIME, stream: 'stdout', text: '', complete: true },
      { time: TIME, stream: 'stderr', text: 'oops', complete: true },
      { time: TIME, stream: 'stdout', text: 'unfinished now finished', complete: true },
    ]);
  });

  it('stamps records with RFC 3339 in UTC and nine fractional digits', () => {
    for (const [sec, nsec] of [[0, 5], [1_700_000_000, 123_456_789], [4_102_444_800, 999_999_999]] as const) {
      const want = new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, `.${String(nsec).padStart(9, '0')}Z`);
      expect(dump(['time', String(sec), String(nsec)]).toString('utf8')).toBe(`${want}\n`);
    }
  });
});

describe('exit.json: the shim → state, wait, attach', () => {
  const cases = [
    { status: 0, oom: 0, exitCode: 0, signal: 0 },
    { status: 3 << 8, oom: 0, exitCode: 3, signal: 0 },
    { status: 9, oom: 1, exitCode: 137, signal: 9 },
    { status: 15, oom: 0, exitCode: 143, signal: 15 },
  ];

  it.each(cases)('raw status $status: exit code $exitCode, signal $signal, read back by readExitRecord', ({ status, oom, exitCode, signal }) => {
    const at = '2024-05-06T07:08:09.000000001Z';
    const text = dump(['exit-record', '4242', String(status), String(oom), at]).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const rec = JSON.parse(text) as Record<string, unknown>;
    // Exactly the fields ExitField names, in its order.
    expect(Object.keys(rec)).toEqual(Object.values(ExitField));
    expect(rec).toEqual({ pid: 4242, exitCode, signal, oomKilled: oom === 1, exitedAt: at });
    const dir = mkdtempSync(join(tmpdir(), 'tsrun-exit-'));
    try {
      writeFileSync(join(dir, contract.StateFile.EXIT), text);
      expect(readExitRecord(dir)).toEqual(rec);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('control messages', () => {
  it('MsgLayout packs u32 type and i32 a, b, c into MSG_SIZE bytes', () => {
    const { MsgLayout, MSG_SIZE } = contract;
    expect([MsgLayout.TYPE, MsgLayout.A, MsgLayout.B, MsgLayout.C]).toEqual([0, 4, 8, 12]);
    expect(MsgLayout.C + 4).toBe(MSG_SIZE);
    // The header's static_asserts tie struct Msg16 to the same offsets (it would not compile otherwise).
    expect(readFileSync(HEADER, 'utf8')).toContain('static_assert(offsetof(Msg16, c) == MsgLayout::C');
    expect(ResizeLayout.COLS + 2).toBe(ResizeLayout.SIZE);
  });
});
