/**
 * Node built-ins loaded where they are used. Under bun each is compiled on first use with the JIT off, and a
 * static import anywhere in a chunk is paid by every call that loads that chunk (the runtime is one chunk):
 * node:net ~1.2 ms, node:tty ~0.6 more, node:child_process ~0.5, node:url ~0.3, node:os ~0.13.
 * process.getBuiltinModule (bun; Node >= 20.16) needs no import of node:module either.
 */
export const childProcessModule = () => process.getBuiltinModule('node:child_process');
export const cryptoModule = () => process.getBuiltinModule('node:crypto');
export const netModule = () => process.getBuiltinModule('node:net');
export const osModule = () => process.getBuiltinModule('node:os');
export const ttyModule = () => process.getBuiltinModule('node:tty');
export const urlModule = () => process.getBuiltinModule('node:url');
