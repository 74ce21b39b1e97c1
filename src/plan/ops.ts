/** Small helpers shared by the plan builders: a filesystem step, and a clean path inside the container. */
import { posix } from 'node:path';
import type { PlanOp } from './plan.js';

export const P = posix;

export function op(kind: number, what: string, fields: Partial<Omit<PlanOp, 'kind' | 'what'>> = {}): PlanOp {
  return {
    kind,
    flags: fields.flags ?? 0,
    a: fields.a ?? 0,
    b: fields.b ?? 0,
    c: fields.c ?? 0,
    d: fields.d ?? 0,
    s: fields.s ?? ['', '', '', ''],
    what,
  };
}

/** Lexically clean absolute path inside the container. */
export function cleanDest(p: string): string {
  return P.resolve('/', p);
}
