/** What v1 and v2 write the same way: pids.max's value, hugetlb and rdma limits, the kernel-memory warning. */
import type { Resources } from './types.js';
import { errCode } from './io.js';
import { field, type ResourceWriter } from './resource-writer.js';

export const KERNEL_MEMORY_WARNING = 'Kernel memory settings are ignored and will be removed';

export function pidsMaxValue(limit: number): string {
  if (limit > 0) return String(limit);
  if (limit === 0) return '1';
  return 'max';
}

/** hugetlb.<size>.<suffix> and, where the kernel has it, the reservation file hugetlb.<size>.rsvd.<suffix>. */
export function setHugetlb(w: ResourceWriter, dir: string | undefined, r: Resources, suffix: string): void {
  let skipRsvd = false;
  for (const h of r.hugepageLimits ?? []) {
    const prefix = `hugetlb.${h.pageSize}`;
    const val = String(h.limit);
    w.set(dir, prefix + suffix, val, field('hugepageLimits'), { controller: 'hugetlb' });
    if (skipRsvd || dir === undefined) continue;
    try {
      w.files.write(dir, `${prefix}.rsvd${suffix}`, val);
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
      skipRsvd = true;
    }
  }
}

/** rdma.max lines: "<device> hca_handle=N hca_object=M" with the limits given. */
export function setRdma(w: ResourceWriter, dir: string | undefined, r: Resources): void {
  for (const [device, l] of Object.entries(r.rdma ?? {})) {
    let line = device;
    if (l.hcaHandles !== undefined) line += ` hca_handle=${l.hcaHandles}`;
    if (l.hcaObjects !== undefined) line += ` hca_object=${l.hcaObjects}`;
    w.set(dir, 'rdma.max', line, field('rdma'), { controller: 'rdma' });
  }
}

