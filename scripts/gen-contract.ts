// Generates the C++ side of the TypeScript ↔ native contract from src/native/contract.ts, its only definition:
//   bun scripts/gen-contract.ts <out.h>
// Run by the CMake build (CMakeLists.txt, with the pinned bun in node_modules/.bin) before any native code is
// compiled; addon/core/contract.h includes the result. Every constant of contract.ts gets the C++ type that
// contract.ts's NativeType names; a constant without one, a value the type cannot hold or a string the header
// could not spell is an error, so the build stops instead of compiling a header that disagrees.
// The header also carries tables of every constant, which tsrun-contract-dump prints for
// test/native/contract.test.ts to compare with the TypeScript values.
// The file is rewritten only when its text changes (no needless recompilation).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as contract from '../src/native/contract.js';

type CType = (typeof contract.NativeType)[keyof typeof contract.NativeType];

const RANGES: Record<string, [bigint, bigint]> = {
  uint8_t: [0n, 0xffn],
  uint32_t: [0n, 0xffffffffn],
  uint64_t: [0n, 0xffffffffffffffffn],
  int32_t: [-0x80000000n, 0x7fffffffn],
};

function fail(msg: string): never {
  throw new Error(`gen-contract: ${msg}`);
}

/** A C++ string literal: printable ASCII as is, everything else as three-digit octal escapes (UTF-8 bytes). */
function cString(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0) fail(`NUL in string ${JSON.stringify(s)}`);
    const c = String.fromCharCode(b);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (b >= 0x20 && b < 0x7f) out += c;
    else out += `\\${b.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

function cChar(s: string, where: string): string {
  if (s.length !== 1 || s.charCodeAt(0) >= 0x80) fail(`${where}: a char constant must be one ASCII character, not ${JSON.stringify(s)}`);
  const code = s.charCodeAt(0);
  if (s === "'" || s === '\\') return `'\\${s}'`;
  if (code >= 0x20 && code < 0x7f) return `'${s}'`;
  return `'\\${code.toString(8).padStart(3, '0')}'`;
}

function cNumber(v: unknown, type: string, where: string): string {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(`${where}: ${JSON.stringify(v)} is not an integer`);
  const range = RANGES[type] ?? fail(`${where}: unknown C++ type ${type}`);
  const b = BigInt(v);
  if (b < range[0] || b > range[1]) fail(`${where}: ${v} does not fit in ${type}`);
  return v >= 0x10000 ? `0x${v.toString(16)}` : String(v);
}

function cValue(v: unknown, type: CType, where: string): { decl: string; literal: string } {
  if (type === 'string') {
    if (typeof v !== 'string') fail(`${where}: ${JSON.stringify(v)} is not a string`);
    return { decl: 'const char*', literal: cString(v) };
  }
  if (type === 'char') {
    if (typeof v !== 'string') fail(`${where}: ${JSON.stringify(v)} is not a character`);
    return { decl: 'char', literal: cChar(v, where) };
  }
  return { decl: type, literal: cNumber(v, type, where) };
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The header for a contract module (src/native/contract.ts unless a test passes another). */
export function generate(mod: Record<string, unknown> = contract as unknown as Record<string, unknown>): string {
  const types = (mod.NativeType ?? fail('the contract has no NativeType')) as Record<string, CType>;
  const exported = mod;
  // Every runtime export is a constant (or a group of them) with a type, and every type names an export.
  for (const [name, value] of Object.entries(exported)) {
    if (name === 'NativeType') continue;
    if (typeof value === 'function') fail(`${name}: contract.ts exports a function; it holds only constants and types`);
    if (!(name in types)) fail(`${name} has no C++ type in NativeType`);
  }
  for (const name of Object.keys(types)) if (!(name in exported)) fail(`NativeType names ${name}, which contract.ts does not export`);

  const lines: string[] = [];
  const numbers: string[] = [];
  const strings: string[] = [];
  const chars: string[] = [];
  const table = (group: string, name: string, type: CType, ref: string) => {
    if (type === 'string') strings.push(`    {${cString(group)}, ${cString(name)}, ${ref}},`);
    else if (type === 'char') chars.push(`    {${cString(group)}, ${cString(name)}, ${ref}},`);
    else numbers.push(`    {${cString(group)}, ${cString(name)}, static_cast<long long>(${ref}), sizeof(${ref}), std::is_signed<std::remove_const_t<decltype(${ref})>>::value},`);
  };

  for (const [name, type] of Object.entries(types)) {
    if (!IDENT.test(name)) fail(`${name} is not a C++ identifier`);
    const value = exported[name];
    if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) fail(`${name} is empty`);
      lines.push(`namespace ${name} {`);
      for (const [k, v] of entries) {
        if (!IDENT.test(k)) fail(`${name}.${k} is not a C++ identifier`);
        const c = cValue(v, type, `${name}.${k}`);
        lines.push(`constexpr ${c.decl} ${k} = ${c.literal};`);
        table(name, k, type, `${name}::${k}`);
      }
      lines.push(`}  // namespace ${name}`, '');
    } else {
      const c = cValue(value, type, name);
      lines.push(`constexpr ${c.decl} ${name} = ${c.literal};`, '');
      table('', name, type, name);
    }
  }

  return `// GENERATED from src/native/contract.ts by scripts/gen-contract.ts during the build: do not edit.
// Every constant is documented in contract.ts, its only definition; addon/core/contract.h includes this file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace tsrun {

${lines.join('\n')}
// A control message: MsgLayout gives its offsets, MSG_SIZE its size.
struct Msg16 {
  uint32_t type;
  int32_t a;
  int32_t b;
  int32_t c;
};
static_assert(sizeof(Msg16) == MSG_SIZE, "control message size");
static_assert(offsetof(Msg16, type) == MsgLayout::TYPE, "Msg16::type offset");
static_assert(offsetof(Msg16, a) == MsgLayout::A, "Msg16::a offset");
static_assert(offsetof(Msg16, b) == MsgLayout::B, "Msg16::b offset");
static_assert(offsetof(Msg16, c) == MsgLayout::C, "Msg16::c offset");
static_assert(FrameLayout::LENGTH + sizeof(uint32_t) == FrameLayout::HEADER_SIZE, "attach frame header");
static_assert(ResizeLayout::COLS + sizeof(uint16_t) == ResizeLayout::SIZE, "resize payload");

// Every constant above, for tsrun-contract-dump (test/native/contract.test.ts). Group "" is the top level.
namespace contract_table {
struct Number {
  const char* group;
  const char* name;
  long long value;
  size_t size;
  bool is_signed;
};
struct String {
  const char* group;
  const char* name;
  const char* value;
};
struct Char {
  const char* group;
  const char* name;
  char value;
};
inline constexpr Number kNumbers[] = {
${numbers.join('\n')}
};
inline constexpr String kStrings[] = {
${strings.join('\n')}
};
inline constexpr Char kChars[] = {
${chars.join('\n')}
};
}  // namespace contract_table

}  // namespace tsrun
`;
}

// Run as a script (not imported, as test/native/contract.test.ts does).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) fail('usage: bun scripts/gen-contract.ts <out.h>');
  const text = generate();
  if (existsSync(out) && readFileSync(out, 'utf8') === text) process.exit(0);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, text);
  renameSync(`${out}.tmp`, out);
}
