/**
 * zod schema of the OCI runtime-spec config.json (runtime-spec 1.0.0 .. 1.3.x), written from the
 * spec's schema/*.json and config*.md. Linux and POSIX parts are typed in full; the windows,
 * solaris, vm, zos and freebsd sections are accepted as opaque objects.
 *
 * Objects use zod's default "strip" mode: the spec says runtimes MUST ignore unknown properties.
 */
import { z } from 'zod';
import {
  int64,
  intIn,
  id,
  mapStringString,
  noNewline,
  opaqueObject,
  optBoolean,
  optInt64,
  optString,
  optStrings,
  optUint16,
  optUint32,
  optUint64,
  builtOnFirstUse,
  optionalList,
  optionalMap,
  optionalPart,
  processSchema,
  uint32,
  uint64,
} from './process-schema.js';

export * from './process-schema.js';

// SemVer 2.0.0 (https://semver.org), capturing the major version.
const semverRe =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

const ociVersionSchema = () =>
  z.string().superRefine((v, ctx) => {
    const m = semverRe.exec(v);
    if (!m) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be a SemVer 2.0.0 version such as "1.2.0", got ${JSON.stringify(v)}` });
    } else if (m[1] !== '1') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unsupported runtime-spec version ${v}: major version must be 1` });
    }
  });

// ---------------------------------------------------------------------------------------------
// Enumerations (value lists exported for later stages)

export const namespaceTypes = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const;
export const deviceTypes = ['c', 'b', 'u', 'p'] as const;
export const cgroupDeviceTypes = ['a', 'c', 'b'] as const;
/** The spec lists the first four; runc also accepts the recursive "r" forms. */
export const rootfsPropagations = [
  'private', 'shared', 'slave', 'unbindable',
  'rprivate', 'rshared', 'rslave', 'runbindable',
] as const;
export const seccompActions = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
] as const;
export const seccompOperators = [
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
] as const;
export const seccompArchitectures = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
  'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
] as const;
export const seccompFlags = [
  'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;
export const memoryPolicyModes = [
  'MPOL_DEFAULT', 'MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED',
  'MPOL_PREFERRED_MANY', 'MPOL_LOCAL',
] as const;
export const memoryPolicyFlags = ['MPOL_F_NUMA_BALANCING', 'MPOL_F_RELATIVE_NODES', 'MPOL_F_STATIC_NODES'] as const;
export const personalityDomains = ['LINUX', 'LINUX32'] as const;

// ---------------------------------------------------------------------------------------------
// Shared definitions (defs.json)

/**
 * One line of uid_map/gid_map. The kernel refuses an empty range and one whose end wraps past 2^32 - 1 (so
 * (uid_t)-1 is never mapped): start + size <= 4294967295.
 */
export const idMappingSchema = () =>
  z
    .object({
      containerID: uint32,
      hostID: uint32,
      size: uint32,
    })
    .superRefine((m, ctx) => {
      if (m.size === 0) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['size'], message: 'must be at least 1' });
      for (const k of ['containerID', 'hostID'] as const) {
        if (m.size > 0 && m[k] + m.size > 4294967295)
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: [k], message: `${k} + size must not exceed 4294967295` });
      }
    });

/** The kernel takes at most 340 lines in a uid_map or gid_map. */
const idMappings = () => z.array(idMappingSchema()).max(340, 'at most 340 mappings (the kernel limit)');

export const hookSchema = () =>
  z.object({
    path: z.string(),
    args: optStrings,
    env: optStrings,
    // Seconds; the init polls with timeout * 1000 ms in an int.
    timeout: intIn(1, 2147483, 'must be in range 1-2147483 (seconds)').optional(),
  });

export const hooksSchema = () => {
  const hookList = z.array(hookSchema()).optional();
  return z.object({
    /** Deprecated in 1.2, still run by runc. */
    prestart: hookList,
    createRuntime: hookList,
    createContainer: hookList,
    startContainer: hookList,
    poststart: hookList,
    poststop: hookList,
  });
};

export const mountSchema = () =>
  z.object({
    destination: z.string(),
    source: optString,
    type: optString,
    options: optStrings,
    uidMappings: optionalPart(idMappings),
    gidMappings: optionalPart(idMappings),
  });

export const rootSchema = () =>
  z.object({
    path: z.string(),
    readonly: optBoolean,
  });

// ---------------------------------------------------------------------------------------------
// linux (config-linux.json, defs-linux.json)

export const namespaceSchema = () =>
  z.object({
    type: z.enum(namespaceTypes),
    path: optString,
  });

/** st_mode file type bits of each device type (runc ORs them into fileMode). */
const deviceTypeBits: Record<(typeof deviceTypes)[number], number> = { c: 0o020000, u: 0o020000, b: 0o060000, p: 0o010000 };

export const deviceSchema = () =>
  z
    .object({
      type: z.enum(deviceTypes),
      path: z.string(),
      // int64 in the spec, but mknod(2) takes a 32-bit dev_t: 12 bits of major, 20 of minor (more would alias another device).
      // config-linux.md: REQUIRED unless type is "p"; the JSON schema leaves them optional (as here).
      major: intIn(0, 4095, 'must be in range 0-4095 (12 bits)').optional(),
      minor: intIn(0, 1048575, 'must be in range 0-1048575 (20 bits)').optional(),
      fileMode: optUint32,
      uid: id.optional(),
      gid: id.optional(),
    })
    .superRefine((d, ctx) => {
      // Permission bits, possibly with the type's own file type bits (as engines copy a host node's st_mode).
      if (d.fileMode !== undefined && d.fileMode > 0o7777 && (d.fileMode & ~0o7777) !== deviceTypeBits[d.type])
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['fileMode'],
          message: `must be permission bits (0-07777), with no file type other than that of type "${d.type}"`,
        });
    });

/** A device rule's number: -1 is the wildcard; any other negative would act as one in the BPF filter. */
const deviceRuleNumber = () => intIn(-1, 4294967295, 'must be -1 (any) or in range 0-4294967295');

export const deviceCgroupSchema = () =>
  z.object({
    allow: z.boolean(),
    type: z.enum(cgroupDeviceTypes).optional(),
    major: deviceRuleNumber().optional(),
    minor: deviceRuleNumber().optional(),
    access: optString,
  });

export const memorySchema = () =>
  z.object({
    limit: optInt64,
    reservation: optInt64,
    swap: optInt64,
    kernel: optInt64,
    kernelTCP: optInt64,
    swappiness: optUint64,
    disableOOMKiller: optBoolean,
    useHierarchy: optBoolean,
    checkBeforeUpdate: optBoolean,
  });

export const cpuSchema = () =>
  z.object({
    shares: optUint64,
    quota: optInt64,
    burst: optUint64,
    period: optUint64,
    realtimeRuntime: optInt64,
    realtimePeriod: optUint64,
    cpus: optString,
    mems: optString,
    idle: optInt64,
  });

/** runtime-spec 1.3 made pids.limit optional (the 1.0 JSON schema required it). */
export const pidsSchema = () =>
  z.object({
    limit: optInt64,
  });

const blockIODeviceWeightSchema = () =>
  z.object({
    major: int64,
    minor: int64,
    weight: optUint16,
    leafWeight: optUint16,
  });

const blockIODeviceThrottleSchema = () =>
  z.object({
    major: int64,
    minor: int64,
    rate: optUint64,
  });

export const blockIOSchema = () => {
  const throttles = optionalList(blockIODeviceThrottleSchema);
  return z.object({
    weight: optUint16,
    leafWeight: optUint16,
    weightDevice: optionalList(blockIODeviceWeightSchema),
    throttleReadBpsDevice: throttles,
    throttleWriteBpsDevice: throttles,
    throttleReadIOPSDevice: throttles,
    throttleWriteIOPSDevice: throttles,
  });
};

export const hugepageLimitSchema = () =>
  z.object({
    pageSize: z.string().regex(/^[1-9][0-9]*[KMG]B$/, 'must be a page size such as "2MB" or "1GB"'),
    limit: uint64,
  });

export const networkSchema = () =>
  z.object({
    classID: optUint32,
    priorities: z.array(z.object({ name: z.string(), priority: uint32 })).optional(),
  });

export const rdmaSchema = () =>
  z.object({
    hcaHandles: optUint32,
    hcaObjects: optUint32,
  });

export const linuxResourcesSchema = () =>
  z.object({
    devices: optionalList(deviceCgroupSchema),
    memory: optionalPart(memorySchema),
    cpu: optionalPart(cpuSchema),
    pids: optionalPart(pidsSchema),
    blockIO: optionalPart(blockIOSchema),
    hugepageLimits: optionalList(hugepageLimitSchema),
    network: optionalPart(networkSchema),
    /** Keyed by RDMA device name. */
    rdma: optionalMap(rdmaSchema),
    /** cgroup v2 file name -> value. */
    unified: mapStringString.optional(),
  });

export const seccompArgSchema = () =>
  z.object({
    // A syscall has six arguments.
    index: intIn(0, 5),
    value: uint64,
    valueTwo: optUint64,
    op: z.enum(seccompOperators),
  });

export const syscallSchema = () =>
  z.object({
    names: z.array(z.string()).min(1),
    action: z.enum(seccompActions),
    // SECCOMP_RET_DATA is 16 bits: more would be cut (65536 would become errno 0, a "successful" call).
    errnoRet: intIn(0, 65535).optional(),
    args: optionalList(seccompArgSchema),
  });

export const seccompSchema = () =>
  z.object({
    defaultAction: z.enum(seccompActions),
    defaultErrnoRet: intIn(0, 65535).optional(),
    architectures: z.array(z.enum(seccompArchitectures)).optional(),
    flags: z.array(z.enum(seccompFlags)).optional(),
    listenerPath: optString,
    listenerMetadata: optString,
    syscalls: optionalList(syscallSchema),
  });

export const intelRdtSchema = () =>
  z.object({
    closID: optString,
    l3CacheSchema: optString,
    memBwSchema: z.string().regex(/^MB:[^\n]*$/, 'must start with "MB:" and contain no newline').optional(),
    schemata: z.array(z.string().refine(noNewline, 'must not contain a newline')).optional(),
    enableMonitoring: optBoolean,
    /** runtime-spec 1.1-1.2 only (replaced by enableMonitoring in 1.3). */
    enableCMT: optBoolean,
    /** runtime-spec 1.1-1.2 only (replaced by enableMonitoring in 1.3). */
    enableMBM: optBoolean,
  });

export const memoryPolicySchema = () =>
  z.object({
    // Optional in the JSON schema, REQUIRED in config-linux.md (and runc fails without it).
    mode: z.enum(memoryPolicyModes),
    nodes: optString,
    flags: z.array(z.enum(memoryPolicyFlags)).optional(),
  });

export const personalitySchema = () =>
  z.object({
    // REQUIRED in config-linux.md (and runc fails without it).
    domain: z.enum(personalityDomains),
    flags: optStrings,
  });

export const timeOffsetSchema = () =>
  z.object({
    secs: optInt64,
    nanosecs: intIn(0, 999999999).optional(),
  });

export const netDeviceSchema = () =>
  z.object({
    name: optString,
  });

export const linuxSchema = () =>
  z.object({
    namespaces: z.array(namespaceSchema()).optional(),
    uidMappings: optionalPart(idMappings),
    gidMappings: optionalPart(idMappings),
    /** Keyed by clock name ("boottime", "monotonic"). */
    timeOffsets: optionalMap(timeOffsetSchema),
    devices: optionalList(deviceSchema),
    /** Keyed by the interface name in the runtime's network namespace. */
    netDevices: optionalMap(netDeviceSchema),
    cgroupsPath: optString,
    resources: optionalPart(linuxResourcesSchema),
    intelRdt: optionalPart(intelRdtSchema),
    sysctl: mapStringString.optional(),
    seccomp: optionalPart(seccompSchema),
    rootfsPropagation: z.enum(rootfsPropagations).optional(),
    maskedPaths: optStrings,
    readonlyPaths: optStrings,
    mountLabel: optString,
    personality: optionalPart(personalitySchema),
    memoryPolicy: optionalPart(memoryPolicySchema),
  });

// ---------------------------------------------------------------------------------------------
// config.json

export const specSchema = builtOnFirstUse(() =>
  z.object({
    ociVersion: ociVersionSchema(),
    // Optional in the JSON schema; config.md requires it on Linux (checked by a later stage).
    root: rootSchema().optional(),
    mounts: z.array(mountSchema()).optional(),
    process: processSchema.optional(),
    hostname: optString,
    domainname: optString,
    hooks: optionalPart(hooksSchema),
    annotations: mapStringString.optional(),
    linux: linuxSchema().optional(),
    windows: opaqueObject.optional(),
    solaris: opaqueObject.optional(),
    vm: opaqueObject.optional(),
    zos: opaqueObject.optional(),
    freebsd: opaqueObject.optional(),
  }),
);

// ---------------------------------------------------------------------------------------------
// Types

export type Spec = z.infer<typeof specSchema>;
export type Root = z.infer<ReturnType<typeof rootSchema>>;
export type Mount = z.infer<ReturnType<typeof mountSchema>>;
export type Hook = z.infer<ReturnType<typeof hookSchema>>;
export type Hooks = z.infer<ReturnType<typeof hooksSchema>>;
export type LinuxIDMapping = z.infer<ReturnType<typeof idMappingSchema>>;


export type Linux = z.infer<ReturnType<typeof linuxSchema>>;
export type LinuxNamespace = z.infer<ReturnType<typeof namespaceSchema>>;
export type LinuxNamespaceType = (typeof namespaceTypes)[number];
export type LinuxDevice = z.infer<ReturnType<typeof deviceSchema>>;
export type LinuxDeviceCgroup = z.infer<ReturnType<typeof deviceCgroupSchema>>;
export type LinuxResources = z.infer<ReturnType<typeof linuxResourcesSchema>>;
export type LinuxMemory = z.infer<ReturnType<typeof memorySchema>>;
export type LinuxCPU = z.infer<ReturnType<typeof cpuSchema>>;
export type LinuxPids = z.infer<ReturnType<typeof pidsSchema>>;
export type LinuxBlockIO = z.infer<ReturnType<typeof blockIOSchema>>;
export type LinuxHugepageLimit = z.infer<ReturnType<typeof hugepageLimitSchema>>;
export type LinuxNetwork = z.infer<ReturnType<typeof networkSchema>>;
export type LinuxRdma = z.infer<ReturnType<typeof rdmaSchema>>;
export type LinuxSeccomp = z.infer<ReturnType<typeof seccompSchema>>;
export type LinuxSyscall = z.infer<ReturnType<typeof syscallSchema>>;
export type LinuxSeccompArg = z.infer<ReturnType<typeof seccompArgSchema>>;
export type LinuxSeccompAction = (typeof seccompActions)[number];
export type LinuxSeccompOperator = (typeof seccompOperators)[number];
export type LinuxIntelRdt = z.infer<ReturnType<typeof intelRdtSchema>>;
export type LinuxMemoryPolicy = z.infer<ReturnType<typeof memoryPolicySchema>>;
export type LinuxPersonality = z.infer<ReturnType<typeof personalitySchema>>;
export type LinuxTimeOffset = z.infer<ReturnType<typeof timeOffsetSchema>>;
export type LinuxNetDevice = z.infer<ReturnType<typeof netDeviceSchema>>;
export type RootfsPropagation = (typeof rootfsPropagations)[number];
