// The executable's first lines: Node's own warnings must never reach stderr (callers parse it, and during a
// successful create it is the container's stderr).
process.emitWarning = () => undefined;

import './stdio-guard.js'; // first: before any library can touch process.stdout

// The front end turned the JIT off for this call only (addon/front/exec_js.cc): nothing started from here sees it.
if (process.env.TSRUN_FRONT_SET_JIT === '1') {
  delete process.env.BUN_JSC_useJIT;
  delete process.env.TSRUN_FRONT_SET_JIT;
}
import { writeSync } from 'node:fs';
import { loadedNative } from '../native/addon.js';
import { main } from './main.js';

/**
 * Every write tsrun makes is synchronous, so nothing is pending at the end: where the addon is loaded already,
 * _exit skips the engine's teardown (a few ms of every create, run and exec). Not while bun records which
 * functions ran (scripts/record-bytecode-order): it writes that file as the engine exits.
 */
function exit(code: number): never {
  if (!process.env.BUN_BYTECODE_ORDER_OUT) loadedNative()?.exitNow(code);
  process.exit(code);
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (err: unknown) => {
    try {
      writeSync(2, `tsrun: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    } finally {
      process.exit(1);
    }
  },
);
