/**
 * zod schema of the runtime-spec process object, and the scalars every part of config.json uses: apart from
 * the rest of config.json's schema (./schema.ts, which includes it) so that `exec --process` builds only this
 * (building a zod schema is a good part of a call's start-up).
 */
import { z } from 'zod';
import { ID_RANGE_MESSAGE, MAX_ID } from './ids.js';

// ---------------------------------------------------------------------------------------------
// Scalars

export const uint16 = z.number().int().min(0).max(65535);
export const uint32 = z.number().int().min(0).max(4294967295);
// JSON.parse rounds INT64_MAX / UINT64_MAX up to 2^63 / 2^64, so those are the accepted bounds
// (values that big are not exact in a JS number anyway); the messages name the exact C limits.
export const int64 = z
  .number()
  .int()
  .min(-(2 ** 63), 'Number must be greater than or equal to -9223372036854775808')
  .max(2 ** 63, 'Number must be less than or equal to 9223372036854775807');
export const uint64 = z.number().int().min(0).max(2 ** 64, 'Number must be less than or equal to 18446744073709551615');

/** An integer in [min, max], every violation worded the same way (the kernel or runc takes no more). */
export const intIn = (min: number, max: number, message = `must be in range ${min}-${max}`) => z.number().int().min(min, message).max(max, message);

/** A uid or gid of the container's process or of a device node (see ./ids.ts: why not 4294967295). */
export const id = intIn(0, MAX_ID, ID_RANGE_MESSAGE);

export const strings = z.array(z.string());
export const mapStringString = z.record(z.string(), z.string());
/** A platform section tsrun does not implement: any object is accepted and kept as is. */
export const opaqueObject = z.record(z.string(), z.unknown());

export const noNewline = (s: string) => !s.includes('\n');

// Building the schema is most of what validating a config.json costs (each zod node takes ~8 µs to construct
// without the JIT): optional scalars are shared, and the parts most configs leave out are built on first use.
export const optString = z.string().optional();
export const optBoolean = z.boolean().optional();
export const optStrings = strings.optional();
export const optUint16 = uint16.optional();
export const optUint32 = uint32.optional();
export const optUint64 = uint64.optional();
export const optInt64 = int64.optional();

/** A schema built the first time it is used. */
export function builtOnFirstUse<T extends z.ZodTypeAny>(build: () => T): z.ZodLazy<T> {
  let schema: T | undefined;
  return z.lazy(() => (schema ??= build()));
}

/** An optional part built the first time a document has it (zod never calls the getter for an absent value). */
export function optionalPart<T extends z.ZodTypeAny>(build: () => T): z.ZodOptional<z.ZodLazy<T>> {
  return builtOnFirstUse(build).optional();
}

/** An optional list of `item`s, built the first time a document has one. */
export function optionalList<T extends z.ZodTypeAny>(item: () => T): z.ZodOptional<z.ZodLazy<z.ZodArray<T>>> {
  return optionalPart(() => z.array(item()));
}

/** An optional object of `item`s by name, built the first time a document has one. */
export function optionalMap<T extends z.ZodTypeAny>(item: () => T): z.ZodOptional<z.ZodLazy<z.ZodRecord<z.ZodString, T>>> {
  return optionalPart(() => z.record(z.string(), item()));
}

// ---------------------------------------------------------------------------------------------
// Enumerations of the process

export const rlimitTypes = [
  'RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_LOCKS', 'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_RSS', 'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME', 'RLIMIT_SIGPENDING', 'RLIMIT_STACK',
] as const;
export const schedulerPolicies = [
  'SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE',
] as const;
export const schedulerFlags = [
  'SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_RECLAIM', 'SCHED_FLAG_DL_OVERRUN', 'SCHED_FLAG_KEEP_POLICY',
  'SCHED_FLAG_KEEP_PARAMS', 'SCHED_FLAG_UTIL_CLAMP_MIN', 'SCHED_FLAG_UTIL_CLAMP_MAX',
] as const;
export const ioPriorityClasses = ['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'] as const;

// ---------------------------------------------------------------------------------------------
// process

export const userSchema = () =>
  z.object({
    uid: id,
    gid: id,
    // umask(2) keeps 0777; the launcher reads 0xffffffff as "keep the umask".
    umask: intIn(0, 0o777, 'must be a file mode creation mask, 0-0777').optional(),
    additionalGids: z.array(id).max(65536, 'at most 65536 groups (NGROUPS_MAX)').optional(),
    username: optString,
  });

/** Capability names stay plain strings: an unknown name is a warning later, not a schema error. */
export const capabilitiesSchema = () =>
  z.object({
    bounding: optStrings,
    effective: optStrings,
    inheritable: optStrings,
    permitted: optStrings,
    ambient: optStrings,
  });

export const rlimitSchema = () =>
  z
    .object({
      type: z.enum(rlimitTypes),
      soft: uint64,
      hard: uint64,
    })
    .superRefine((r, ctx) => {
      // setrlimit(2) refuses it (EINVAL); said here with the path instead.
      if (r.soft > r.hard) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['soft'], message: `must not be greater than hard (${r.hard})` });
    });

export const schedulerSchema = () =>
  z.object({
    policy: z.enum(schedulerPolicies),
    nice: intIn(-20, 19).optional(),
    priority: intIn(0, 99).optional(),
    flags: z.array(z.enum(schedulerFlags)).optional(),
    runtime: optUint64,
    deadline: optUint64,
    period: optUint64,
  });

export const ioPrioritySchema = () =>
  z.object({
    class: z.enum(ioPriorityClasses),
    // ioprio_set(2) levels (runc: "invalid ioPriority.Priority"); wider values would spill into the class bits.
    priority: intIn(0, 7).optional(),
  });

export const execCPUAffinitySchema = () => {
  const cpuList = z.string().regex(/^[0-9, -]*$/, 'must be a CPU list such as "0-3,7"').optional();
  return z.object({ initial: cpuList, final: cpuList });
};

/** TIOCSWINSZ takes 16-bit rows and columns. */
export const consoleSizeSchema = () =>
  z.object({
    height: intIn(0, 65535),
    width: intIn(0, 65535),
  });

/** Built on the first parse: `exec` and `create` each need it at most once. */
export const processSchema = builtOnFirstUse(() =>
  z.object({
    terminal: optBoolean,
    consoleSize: optionalPart(consoleSizeSchema),
    cwd: z.string().refine((s) => s.startsWith('/'), 'must be an absolute path'),
    env: optStrings,
    // Optional in the JSON schema (Windows may use commandLine instead), required on Linux.
    args: z.array(z.string()).min(1),
    commandLine: optString,
    rlimits: optionalList(rlimitSchema),
    apparmorProfile: optString,
    capabilities: optionalPart(capabilitiesSchema),
    noNewPrivileges: optBoolean,
    oomScoreAdj: intIn(-1000, 1000).optional(),
    scheduler: optionalPart(schedulerSchema),
    selinuxLabel: optString,
    ioPriority: optionalPart(ioPrioritySchema),
    execCPUAffinity: optionalPart(execCPUAffinitySchema),
    // Optional: Go's runc treats a missing user as uid 0, gid 0.
    user: userSchema().optional(),
  }),
);


export type SpecProcess = z.infer<typeof processSchema>;
export type User = z.infer<ReturnType<typeof userSchema>>;
export type LinuxCapabilities = z.infer<ReturnType<typeof capabilitiesSchema>>;
export type POSIXRlimit = z.infer<ReturnType<typeof rlimitSchema>>;
export type RlimitType = (typeof rlimitTypes)[number];
export type Scheduler = z.infer<ReturnType<typeof schedulerSchema>>;
export type IOPriority = z.infer<ReturnType<typeof ioPrioritySchema>>;
export type CPUAffinity = z.infer<ReturnType<typeof execCPUAffinitySchema>>;
export type ConsoleSize = z.infer<ReturnType<typeof consoleSizeSchema>>;
