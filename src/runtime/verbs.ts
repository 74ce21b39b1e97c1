/**
 * What every command runs, reached by the command modules through this one module. The compiled executable is
 * split where code is imported dynamically: one chunk with all of the runtime (beside the start-up chunk and
 * yargs') loads faster than the ~20 that importing each command's implementation on its own produced.
 */
export { attachContainer } from './attach.js';
export { checkBundle } from './check.js';
export { createContainer } from './create.js';
export { deleteContainer } from './delete.js';
export { eventsContainer } from './events.js';
export { execContainer } from './exec.js';
export { features } from './features.js';
export { killContainer } from './kill.js';
export { formatTable, listContainers } from './list.js';
export { containerLogs } from './logs.js';
export { pauseContainer, resumeContainer } from './pause.js';
export { psContainer } from './ps.js';
export { runContainer } from './run.js';
export { parseSignal } from './signals.js';
export { writeDefaultSpec } from './spec-cmd.js';
export { startContainer } from './start.js';
export { StateDir, ociState } from './state.js';
export { updateContainer } from './update.js';
export { waitContainer } from './wait.js';
