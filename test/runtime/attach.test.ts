import { describe, expect, it } from 'vitest';
import { DetachScanner, parseDetachKeys } from '../../src/runtime/attach.js';
import { Frame, frame, parseFrames } from '../../src/runtime/shim.js';

describe('detach keys', () => {
  it('parses docker\'s syntax', () => {
    expect(parseDetachKeys('ctrl-p,ctrl-q')).toEqual([0x10, 0x11]);
    expect(parseDetachKeys('ctrl-[,a')).toEqual([27, 97]);
    expect(parseDetachKeys('')).toEqual([]);
    expect(() => parseDetachKeys('ctrl-pq')).toThrow(/invalid detach keys/);
  });

  it('detaches on the whole sequence, even split across reads, and forwards a broken one', () => {
    const s = new DetachScanner([0x10, 0x11]);
    expect(s.scan(Buffer.from([0x61, 0x10]))).toEqual({ forward: Buffer.from([0x61]), detach: false });
    expect(s.scan(Buffer.from([0x11, 0x62]))).toEqual({ forward: Buffer.alloc(0), detach: true });
    const t = new DetachScanner([0x10, 0x11]);
    expect(t.scan(Buffer.from([0x10, 0x62]))).toEqual({ forward: Buffer.from([0x10, 0x62]), detach: false });
    expect(t.scan(Buffer.from([0x10, 0x10, 0x11]))).toEqual({ forward: Buffer.from([0x10]), detach: true });
    expect(new DetachScanner([]).scan(Buffer.from([0x10, 0x11]))).toEqual({ forward: Buffer.from([0x10, 0x11]), detach: false });
  });
});

describe('shim frames', () => {
  it('round-trips frames and keeps an incomplete one for later', () => {
    const all = Buffer.concat([frame(Frame.STDOUT, Buffer.from('out')), frame(Frame.STDERR, Buffer.from('err!'))]);
    const seen: [number, string][] = [];
    const rest = parseFrames(all.subarray(0, all.length - 2), (t, p) => seen.push([t, p.toString()]));
    expect(seen).toEqual([[1, 'out']]);
    expect(parseFrames(Buffer.concat([rest, all.subarray(all.length - 2)]), (t, p) => seen.push([t, p.toString()])).length).toBe(0);
    expect(seen).toEqual([
      [1, 'out'],
      [2, 'err!'],
    ]);
  });
});
