// The executable's first lines: Node's own warnings must never reach stderr (callers parse it, and during a
// successful create it is the container's stderr).
process.emitWarning = () => undefined;

import './stdio-guard.js'; // first: before any library can touch process.stdout
import { writeSync } from 'node:fs';
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    try {
      writeSync(2, `tsrun: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    } finally {
      process.exit(1);
    }
  },
);
