import { describe, expect, it } from 'vitest';
import { blkioWeightToIoWeight, cpuSharesToWeight, memorySwapToV2 } from '../../src/cgroups/convert.js';

describe('cpuSharesToWeight', () => {
  it('maps the ends and the default of the ranges onto each other', () => {
    expect(cpuSharesToWeight(0)).toBe(0);
    expect(cpuSharesToWeight(1)).toBe(1);
    expect(cpuSharesToWeight(2)).toBe(1);
    expect(cpuSharesToWeight(262144)).toBe(10000);
    expect(cpuSharesToWeight(300000)).toBe(10000);
    // The quadratic in log2 passes through (1024, 100): the default shares give the default weight.
    expect(cpuSharesToWeight(1024)).toBe(100);
  });

  it('follows ceil(10^((l²+125l)/612 − 7/34)) in between', () => {
    const formula = (s: number) => {
      const l = Math.log2(s);
      return Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34));
    };
    for (const s of [3, 10, 100, 512, 2048, 4096, 100000, 262143]) expect(cpuSharesToWeight(s), String(s)).toBe(formula(s));
    expect(cpuSharesToWeight(512)).toBe(59);
    expect(cpuSharesToWeight(2048)).toBe(174);
  });
});

describe('memorySwapToV2', () => {
  it('converts memory+swap into swap alone', () => {
    expect(memorySwapToV2(0, 0)).toBe(0);
    expect(memorySwapToV2(0, -1)).toBe(-1);
    expect(memorySwapToV2(-1, 1000)).toBe(-1);
    expect(memorySwapToV2(0, 1000)).toBe(0);
    expect(memorySwapToV2(5000, -1)).toBe(5000);
    expect(memorySwapToV2(3000, 1000)).toBe(2000);
    expect(memorySwapToV2(1000, 1000)).toBe(0);
  });

  it("refuses what runc refuses, with its messages", () => {
    expect(() => memorySwapToV2(1000, 0)).toThrow('unable to set swap limit without memory limit');
    expect(() => memorySwapToV2(1000, -5)).toThrow('invalid memory value: -5');
    expect(() => memorySwapToV2(500, 1000)).toThrow('memory+swap limit should be >= memory limit');
  });
});

describe('blkioWeightToIoWeight', () => {
  it('maps [10, 1000] linearly onto [1, 10000]', () => {
    expect(blkioWeightToIoWeight(0)).toBe(0);
    expect(blkioWeightToIoWeight(10)).toBe(1);
    expect(blkioWeightToIoWeight(1000)).toBe(10000);
    expect(blkioWeightToIoWeight(500)).toBe(1 + Math.floor((490 * 9999) / 990));
  });
});
