/** runc's cgroup v1 → v2 value conversions (cgroups/utils.go). */
import { TsrunError } from '../errors.js';

/**
 * cpu.shares [2, 262144] (default 1024) → cpu.weight [1, 10000] (default 100) along the quadratic in log2(shares)
 * that fits the minimum, maximum and default: weight = ceil(10^((l² + 125·l) / 612 − 7/34)), l = log2(shares).
 * 0 (unset) stays 0.
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return Math.ceil(Math.pow(10, exponent));
}

/**
 * linux.resources.memory.swap is memory+swap; cgroup v2's memory.swap.max is swap alone.
 * Returns the memory.swap.max value (-1 = "max", 0 = leave alone), throwing runc's errors.
 */
export function memorySwapToV2(memorySwap: number, memory: number): number {
  if (memory === -1 && memorySwap === 0) return -1;
  if (memorySwap === -1 || memorySwap === 0) return memorySwap;
  if (memory === -1) return memorySwap;
  if (memory === 0) throw new TsrunError('unable to set swap limit without memory limit');
  if (memory < 0) throw new TsrunError(`invalid memory value: ${memory}`);
  if (memorySwap < memory) throw new TsrunError('memory+swap limit should be >= memory limit');
  return memorySwap - memory;
}

/** blkio.weight [10, 1000] → io.weight [1, 10000], linearly: 1 + (w − 10)·9999/990 (integer arithmetic). */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  // Go does this in uint64: a weight below 10 wraps around; the kernel then rejects the huge value.
  const v = 1n + ((BigInt.asUintN(64, BigInt(weight) - 10n) * 9999n) / 990n);
  return Number(BigInt.asUintN(64, v));
}
