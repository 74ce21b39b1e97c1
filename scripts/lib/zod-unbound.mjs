// zod 3's ZodType constructor binds 24 of its methods to every schema it builds (`this.parse =
// this.parse.bind(this)`, ...), so that a method taken off a schema still works. tsrun never takes one off, and
// in the compiled executable, where JavaScriptCore's JIT is off, those binds were half of validating a config.json
// (measured: the first parse 2.3 -> 1.2 ms, a create 1.6 ms faster). The build drops them from the shipped
// executable only; the count is checked, so a zod whose constructor changed stops the build instead of being
// shipped half-changed.
export const ZOD_TYPES_FILE = /[\\/]node_modules[\\/]zod[\\/]v3[\\/]types\.js$/;
export const ZOD_BINDS = 24;

const BIND = /^ {8}this\.(\w+) = this\.\1\.bind\(this\);\n/gm;

/** zod/v3/types.js without the constructor's method binds; throws if they are not exactly the known ones. */
export function unbindZod(source) {
  const ctor = source.indexOf('    constructor(def) {\n        /** Alias of safeParseAsync */');
  if (ctor < 0) throw new Error("zod's ZodType constructor is not the one tsrun's build knows (scripts/lib/zod-unbound.mjs)");
  const end = source.indexOf('\n    }\n', ctor);
  const body = source.slice(ctor, end);
  const binds = body.match(BIND) ?? [];
  if (binds.length !== ZOD_BINDS || (source.match(BIND) ?? []).length !== ZOD_BINDS) {
    throw new Error(`zod's ZodType constructor binds ${binds.length} methods, not ${ZOD_BINDS} (scripts/lib/zod-unbound.mjs)`);
  }
  return source.slice(0, ctor) + body.replace(BIND, '') + source.slice(end);
}

/** A Bun.build plugin applying unbindZod to zod's types module. */
export const zodUnbound = {
  name: 'zod-unbound',
  setup(build) {
    build.onLoad({ filter: ZOD_TYPES_FILE }, async ({ path }) => ({ contents: unbindZod(await Bun.file(path).text()), loader: 'js' }));
  },
};
