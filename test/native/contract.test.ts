/** addon/core/contract.h must mirror src/native/contract.ts exactly: same names, same values. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ts from '../../src/native/contract.js';

const header = readFileSync(new URL('../../addon/core/contract.h', import.meta.url), 'utf8').replace(/\/\/.*$/gm, '');

/** Evaluates the constant expressions the header uses: decimal, hex, `a << b`. */
function evalConst(expr: string): number {
  const e = expr.trim();
  const shift = /^(\w+)\s*<<\s*(\w+)$/.exec(e);
  if (shift) return Number(BigInt(evalConst(shift[1]!)) << BigInt(evalConst(shift[2]!)));
  if (/^0x[0-9a-f]+$/i.test(e) || /^\d+$/.test(e)) return Number(e);
  throw new Error(`cannot evaluate ${JSON.stringify(expr)}`);
}

function constants(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/constexpr\s+\w+\s+(\w+)\s*=\s*([^;]+);/g)) out[m[1]!] = evalConst(m[2]!);
  return out;
}

const namespaces = new Map<string, Record<string, number>>();
for (const m of header.matchAll(/namespace\s+(\w+)\s*\{([^{}]*)\}/g)) namespaces.set(m[1]!, constants(m[2]!));
const topLevel = constants(header.replace(/namespace\s+(\w+)\s*\{([^{}]*)\}/g, ''));

/** String constants: `constexpr const char* NAME = "value";`. */
function strings(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/constexpr\s+const\s+char\s*\*\s*(\w+)\s*=\s*"([^"\\]*)";/g)) out[m[1]!] = m[2]!;
  return out;
}
const stringNamespaces = new Map<string, Record<string, string>>();
for (const m of header.matchAll(/namespace\s+(\w+)\s*\{([^{}]*)\}/g)) stringNamespaces.set(m[1]!, strings(m[2]!));

const numberGroups = ['Tag', 'HookPhase', 'LaunchMode', 'ShimMode', 'ShimFlag', 'ProcessFlag', 'OpKind', 'OpFlag', 'Msg', 'Step'] as const;
/** The state directory's file names and the fields the native front end reads. */
const stringGroups = ['StateFile', 'StateField', 'ExitField'] as const;
const groups = [...numberGroups, ...stringGroups];

describe('contract.h mirrors contract.ts', () => {
  it('has exactly the namespaces of constants the TypeScript side has', () => {
    expect([...namespaces.keys()].sort()).toEqual([...groups].sort());
  });

  it.each(numberGroups)('%s: same names and values on both sides', (g) => {
    const cpp = namespaces.get(g);
    expect(cpp, `namespace ${g} in contract.h`).toBeDefined();
    const tsSide = ts[g] as Record<string, number>;
    expect(Object.keys(cpp!).sort()).toEqual(Object.keys(tsSide).sort());
    for (const [name, value] of Object.entries(tsSide)) expect(cpp![name], `${g}::${name}`).toBe(value);
  });

  it.each(stringGroups)('%s: same names and strings on both sides', (g) => {
    const cpp = stringNamespaces.get(g);
    expect(cpp, `namespace ${g} in contract.h`).toBeDefined();
    const tsSide = ts[g] as Record<string, string>;
    expect(Object.keys(cpp!).sort()).toEqual(Object.keys(tsSide).sort());
    for (const [name, value] of Object.entries(tsSide)) expect(cpp![name], `${g}::${name}`).toBe(value);
  });

  it('has the same top-level constants (PLAN_MAGIC, PLAN_VERSION, NO_UMASK, MSG_SIZE, file limits)', () => {
    const tsNumbers = Object.fromEntries(Object.entries(ts).filter(([, v]) => typeof v === 'number'));
    expect(Object.keys(topLevel).sort()).toEqual(
      ['EXIT_FILE_LIMIT', 'MSG_SIZE', 'NO_UMASK', 'PLAN_MAGIC', 'PLAN_VERSION', 'STATE_FILE_LIMIT', 'STATE_FILE_NATIVE_LIMIT'].sort(),
    );
    expect(topLevel).toEqual(tsNumbers);
  });

  it('exports no other constant group on the TypeScript side', () => {
    const objects = Object.entries(ts)
      .filter(([, v]) => typeof v === 'object' && v !== null)
      .map(([k]) => k)
      .sort();
    expect(objects).toEqual([...groups].sort());
  });

  it('evaluates the constant expressions it reads', () => {
    expect(evalConst('1 << 6')).toBe(64);
    expect(evalConst('0x4c505354')).toBe(0x4c505354);
    expect(() => evalConst('FOO + 1')).toThrow();
  });

  it('finds every group non-empty (the parser did not silently miss the header layout)', () => {
    for (const g of numberGroups) expect(Object.keys(namespaces.get(g) ?? {}).length).toBeGreaterThan(0);
    for (const g of stringGroups) expect(Object.keys(stringNamespaces.get(g) ?? {}).length).toBeGreaterThan(0);
  });
});
