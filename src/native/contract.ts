/**
 * The one contract between TypeScript and native code.
 *
 * - The addon's functions (primitives only: numbers, strings, arrays of them).
 * - The binary plan that `tsrun-launcher` reads: records of (u32 tag, u32 length, fields), where a field is a
 *   u64 (little endian) or a string (u32 length, bytes, NUL). The launcher decodes it before cloning the container
 *   init, so the init only ever reads memory prepared in advance.
 * - The fixed 16-byte messages exchanged over the control socket (Node ↔ launcher ↔ init).
 * - The state directory <root>/<id>/: its files and the fields of state.json and exit.json that the native side
 *   reads (the front end `tsrun` answers state, start, kill, delete, list and ps from them; the shim writes
 *   exit.json).
 * - The shim's protocol (addon/launcher/shim.cc): the attach socket's frames, the files it keeps, its exit record
 *   and the CRI line format of container.log.
 *
 * This file is the only definition. scripts/gen-contract.ts generates the C++ header from it at build time
 * (<build>/generated/contract.gen.h, included by addon/core/contract.h); NativeType says which C++ type each
 * constant gets there. test/native/contract.test.ts reads every value back from a native tool
 * (tsrun-contract-dump) and round-trips frames, log records and exit records through the shim's own code.
 */

export const PLAN_MAGIC = 0x4c505354; // "TSPL"
export const PLAN_VERSION = 1;

/** Plan record tags. */
export const Tag = {
  MODE: 1, // u64 LaunchMode
  NS_NEW: 2, // u64 CLONE_NEW* of namespaces created for the init (CLONE_NEWUSER: by the launcher before the clone; never CLONE_NEWTIME)
  NS_JOIN: 3, // u64 CLONE_NEW* type, str path; joined by the launcher, in plan order
  TIMENS: 4, // u64 boottime s, boottime ns, monotonic s, monotonic ns: a new time namespace with these offsets
  UID_MAP: 5, // u64 containerID, hostID, size
  GID_MAP: 6, // u64 containerID, hostID, size
  SETGROUPS_DENY: 7, // (no fields) write "deny" to setgroups before gid_map (of the user namespace made before the clone)
  FIFO: 8, // str path of exec.fifo: the launcher opens it O_PATH, the init reopens it through /proc/self/fd
  CONSOLE_SOCKET: 9, // str path of the caller's console socket (AF_UNIX stream)
  CONSOLE_SIZE: 10, // u64 rows, cols
  OP: 11, // u64 kind, flags, a, b, c, d; str s1, s2, s3, s4: one step of the filesystem script
  ARG: 12, // str argv element
  ENV: 13, // str envp element
  EXE: 14, // str candidate path of the executable, tried in order
  CWD: 15, // str
  USER: 16, // u64 uid, gid, umask (NO_UMASK: keep)
  GROUP: 17, // u64 additional gid
  CAPS: 18, // u64 bounding, effective, permitted, inheritable, ambient, last cap of the running kernel
  RLIMIT: 19, // u64 resource, soft, hard
  PROCESS_FLAGS: 20, // u64 ProcessFlag bits
  KEYRING: 21, // str session keyring name
  PRESERVE_FDS: 22, // u64 count of fds from 3 passed to the container as they are
  OOM_SCORE_ADJ: 23, // u64 value + 1000 (the launcher writes its own before any join; the init inherits it)
  SECCOMP: 24, // str raw sock_filter program (8 bytes per instruction), u64 seccomp(2) flags
  HOOK: 25, // u64 phase, u64 timeout seconds (0: none), u64 argc, u64 envc; str path, argv..., envp...
  HOOK_STATE: 26, // u64 phase; str state JSON before the pid, str after it (the init writes its own pid between)
  PERSONALITY: 27, // u64 personality(2) value
  SCHEDULER: 28, // u64 policy, flags, nice + 20, priority, runtime, deadline, period (sched_setattr)
  IOPRIO: 29, // u64 ioprio_set(2) value: class << 13 | priority
  APPARMOR: 30, // str profile applied on exec
  SELINUX: 31, // str process label applied on exec
  IDMAP_MOUNT: 32, // u64 index, u64 recursive, u64 attr_set, u64 attr_clr, u64 nuid, u64 ngid, (u64 id, host, size)*; str source
  SECCOMP_LISTENER: 33, // str socket path; str payload before the pid, between the two pids, after: runc's ContainerProcessState
  CGROUP_DIR: 34, // str cgroup v2 directory the init is cloned into (CLONE_INTO_CGROUP; new pid ns, no pid/cgroup join)
  EXEC_ROOT: 35, // str the running container's root (/proc/<pid>/root), opened by the launcher before joining; the ops' root
  SHIM: 36, // u64 ShimMode, caller pid, log size limit (0: none), ShimFlag bits; str state dir, str OOM counter file ("" if none), str log dir
  ID_MAP_TOOLS: 37, // str newuidmap, str newgidmap ("" if none): set-id helpers for maps the launcher may not write itself
} as const;

/** Whether the launcher leaves a shim as the init's parent (create / run -d). */
export const ShimMode = {
  /** only when the caller is not a child subreaper that adopts the init (containerd's shim and conmon are). */
  AUTO: 1,
  ALWAYS: 2,
} as const;

export const ShimFlag = {
  /** the container's stdin is a pipe the shim holds open (attach writes to it); otherwise /dev/null. */
  STDIN: 1 << 0,
  /** tsrun's stdout is a regular file: the container writes there directly (as with runc), not to the log. */
  KEEP_STDOUT: 1 << 1,
  /** the same for stderr. */
  KEEP_STDERR: 1 << 2,
} as const;

/** Hook phases: SYNC messages name the runtime's phase, HOOK records the init's. */
export const HookPhase = {
  /** prestart + createRuntime, run by Node while the init waits (mounts done, before pivot_root). */
  CREATE_RUNTIME: 1,
  /** createContainer, run by the init in the container's namespaces before pivot_root. */
  CREATE_CONTAINER: 2,
  /** startContainer, run by the init after start, before the user's program. */
  START_CONTAINER: 3,
} as const;

export const LaunchMode = {
  /** create / run -d: the launcher exits once the init is ready; the init is left to the caller's subreaper. */
  DETACHED: 0,
  /** run: the launcher stays the init's parent, relays a terminal and reports the exit status. */
  FOREGROUND: 1,
} as const;

export const NO_UMASK = 0xffffffff;

export const ProcessFlag = {
  NO_NEW_PRIVS: 1 << 0,
  TERMINAL: 1 << 1,
  NEW_KEYRING: 1 << 2,
  /** setgroups(2) is allowed (not denied in a user namespace). */
  SETGROUPS: 1 << 3,
  /** the launcher becomes a child subreaper (foreground run). */
  SUBREAPER: 1 << 4,
  /** the init unshares its cgroup namespace once it is in its cgroup (so that cgroup is the namespace's root). */
  NEW_CGROUPNS: 1 << 5,
  /**
   * exec: a process joins a running container. No fifo; the launcher reports READY only once the process has
   * executed its program (the sync socket closes on execve), so every failure before that is reported.
   */
  EXEC: 1 << 6,
} as const;

/** Kinds of filesystem-script steps run by the init, in plan order. Paths are inside the root unless TGT_HOST. */
export const OpKind = {
  /**
   * mount(s1 source, s2 target, s3 fstype, a flags, s4 data); for binds then remount with b, then propagation c,
   * then recursive attributes d (attr_set | attr_clr << 32, mount_setattr with AT_RECURSIVE).
   */
  MOUNT: 1,
  /** open s1 (a host path) as the root directory every later in-root path is resolved against. */
  OPEN_ROOT: 2,
  /** mknod s1, a mode (type|perm), b major, c minor, d (uid << 32 | gid). An existing node is kept. */
  MKNOD: 3,
  /** symlink s2 → s1. An existing entry is kept. */
  SYMLINK: 4,
  /** unlink s1 if it exists. */
  UNLINK: 5,
  /** pivot_root into the root (flags & OpFlag.NO_PIVOT: MS_MOVE + chroot). */
  PIVOT: 6,
  /** chroot into the root (no mount namespace). */
  CHROOT: 7,
  /** hide s1: a read-only tmpfs on a directory, /dev/null bound on anything else; missing is fine. */
  MASK: 8,
  /** bind s1 on itself read-only; missing is fine. */
  READONLY: 9,
  /** remount s1 read-only keeping its other flags (readonly root). */
  REMOUNT_RO: 10,
  /** write s2 to s1 (a /proc/sys path). */
  SYSCTL: 11,
  HOSTNAME: 12,
  DOMAINNAME: 13,
  /** open the pty master s1, its slave in dir s2, bind it on s3 (if non-empty), send the master, keep the slave. */
  CONSOLE: 14,
  /** send message a to the parent and wait for its reply (runtime hooks run meanwhile). */
  SYNC: 15,
  /** mkdir -p s1 with mode a. */
  MKDIR: 16,
  /** run the init's hooks of phase a (createContainer). */
  HOOKS: 17,
  /** attach the idmapped mount tree b (made by the launcher) on s2, then propagation c, attributes d. */
  IDMAP_BIND: 18,
  /** give the mount holding host path s1 (the rootfs) propagation a: walking up to the nearest mount point. */
  PARENT_PROPAGATION: 19,
} as const;

export const OpFlag = {
  /** s2 is a host path used as is (not resolved inside the root). */
  TGT_HOST: 1 << 0,
  /** create the target as a directory if missing. */
  MK_DIR: 1 << 1,
  /** create the target as an empty file if missing. */
  MK_FILE: 1 << 2,
  /** the target must not be a symlink (proc, sysfs). */
  NO_SYMLINK: 1 << 3,
  /** s1 is resolved inside the root too (bind of a path of the container). */
  SRC_IN_ROOT: 1 << 4,
  /** PIVOT: move + chroot instead of pivot_root. */
  NO_PIVOT: 1 << 5,
  /** failure with ENOENT is not an error. */
  OPTIONAL: 1 << 6,
  /**
   * the target may lie inside procfs: a proc mount, or one of the files lxcfs emulates. Without it a mount whose
   * target resolves into procfs (a symlink of the rootfs leading there) is refused (runc's checkProcMount).
   */
  PROC_ALLOWED: 1 << 7,
} as const;

/** Control-socket message types (struct Msg {u32 type; i32 a, b, c;}). */
export const Msg = {
  /** launcher → Node: a = pid of the init (in the launcher's pid namespace), b = pid of its shim (0: none). */
  PID: 1,
  /** Node → launcher → init: carry on (the launcher puts the init's pid, as Node sees it, in a). */
  CONTINUE: 2,
  /** init → launcher → Node: set up and blocked on the exec fifo. */
  READY: 3,
  /** → Node: a = Step, b = errno (positive), c = index (op, join, rlimit or hook index) or -1. */
  ERROR: 4,
  /** init → launcher → Node: a = the SYNC op's message (hook phase); Node answers CONTINUE. */
  SYNC: 5,
  /** launcher → Node (foreground): a = the init's raw wait status. */
  EXITED: 6,
  /**
   * → Node: a process of the setup ended instead of failing a call: a = Step (CLONE: the init itself, HOOK: a
   * hook), b = its raw wait status, c = the hook's index or -1. ERROR's fields never carry a status.
   */
  DIED: 7,
} as const;

export const MSG_SIZE = 16;

/** Byte offsets in a control message (little endian): u32 type, i32 a, b, c. The header's struct Msg16 is checked against them. */
export const MsgLayout = {
  TYPE: 0,
  A: 4,
  B: 8,
  C: 12,
} as const;

/**
 * The files of a container's state directory <root>/<id>/ (0700). state.json is written whole (atomic rename) by
 * the TypeScript side; exec.fifo exists from create to start; exit.json is the shim's record of how the init ended.
 */
export const StateFile = {
  STATE: 'state.json',
  FIFO: 'exec.fifo',
  EXIT: 'exit.json',
  /** NOTIFY_SOCKET relay: a directory holding the socket the container talks to. */
  NOTIFY: 'notify',
  /** The compiled seccomp filter exec loads (ContainerState.exec.seccomp.file). */
  SECCOMP: 'seccomp.bpf',
  ATTACH_SOCKET: 'attach.sock',
  /** Output of a shim-supervised process (in its log directory; beside the state in old state directories). */
  LOG: 'container.log',
  /** Processes exec'd with -d under a shim: execs/<pid>/ with shim.json and their own exit.json. */
  EXECS: 'execs',
  EXEC_SHIM: 'shim.json',
} as const;

/**
 * The fields of state.json (ContainerState in src/runtime/state.ts) that the native front end reads; nested
 * fields are those of cgroup (CgroupRecord), cgroup.layout, cgroup.paths, hooks and shim. A state.json whose
 * fields the native side does not find in these shapes is handed to the TypeScript implementation.
 */
export const StateField = {
  /** 2: PRIVATE_PID_NS, HOOKS and CGROUP are fields of CONFIG; 1: of the document. */
  VERSION: 'version',
  CONFIG: 'config',
  ID: 'id',
  OCI_VERSION: 'ociVersion',
  PID: 'pid',
  PID_START_TIME: 'pidStartTime',
  BUNDLE: 'bundle',
  ROOTFS: 'rootfs',
  CREATED: 'created',
  ANNOTATIONS: 'annotations',
  PRIVATE_PID_NS: 'privatePidNs',
  HOOKS: 'hooks',
  HOOKS_POSTSTART: 'poststart',
  HOOKS_POSTSTOP: 'poststop',
  CGROUP: 'cgroup',
  CG_DRIVER: 'driver',
  CG_LAYOUT: 'layout',
  CG_MODE: 'mode',
  CG_PATHS: 'paths',
  CG_V1: 'v1',
  CG_V2: 'v2',
  SHIM: 'shim',
  SHIM_PID: 'pid',
  SHIM_START_TIME: 'startTime',
  LOG_DIR: 'logDir',
} as const;

/** The fields of exit.json (ExitRecord), written by the shim (addon/launcher/shim.cc) and read by `state`. */
export const ExitField = {
  PID: 'pid',
  EXIT_CODE: 'exitCode',
  SIGNAL: 'signal',
  OOM_KILLED: 'oomKilled',
  EXITED_AT: 'exitedAt',
} as const;

/**
 * The shim's attach socket (StateFile.ATTACH_SOCKET, a stream): frames of a u8 type, a u32 little-endian payload
 * length and the payload. Shim → client: OutputFrame; client → shim: InputFrame.
 */
export const FrameLayout = {
  /** u8 frame type. */
  TYPE: 0,
  /** u32 little-endian payload length. */
  LENGTH: 1,
  /** The payload starts here. */
  HEADER_SIZE: 5,
} as const;

/** A larger frame from a client ends its connection. */
export const ATTACH_FRAME_MAX = 1 << 20;

/** Shim → client: the container's output as it is read (a terminal's output is STDOUT). */
export const OutputFrame = {
  STDOUT: 1,
  STDERR: 2,
} as const;

/** Client → shim. */
export const InputFrame = {
  /** bytes for the container's stdin (its pipe, or the pty master). */
  STDIN: 0,
  /** the terminal's size: a ResizeLayout payload. */
  RESIZE: 1,
  /** close the container's stdin pipe once what was sent before is taken. */
  CLOSE_STDIN: 2,
} as const;

/** The payload of InputFrame.RESIZE: u16 little-endian rows and columns. */
export const ResizeLayout = {
  ROWS: 0,
  COLS: 2,
  SIZE: 4,
} as const;

/** The files the shim writes besides StateFile's: in the log directory, and its exit record's temporary name. */
export const ShimFile = {
  /** container.log is renamed to this past the size limit (one generation kept). */
  LOG_ROTATED: 'container.log.1',
  /** exit.json is written here, then renamed over StateFile.EXIT. */
  EXIT_TMP: '.exit.json.tmp',
} as const;

/**
 * container.log holds one CRI record per line: `<time> <stream> <tag> <text>\n`, time in RFC 3339 with nine
 * fractional digits in UTC (2006-01-02T15:04:05.000000000Z), fields separated by LogChar.SEPARATOR. A line
 * of the container's longer than one read, or not yet finished, is split into PARTIAL records ending with a
 * FULL one.
 */
export const LogStream = {
  STDOUT: 'stdout',
  STDERR: 'stderr',
} as const;

export const LogTag = {
  PARTIAL: 'P',
  FULL: 'F',
} as const;

export const LogChar = {
  SEPARATOR: ' ',
  END: '\n',
} as const;

/** How much of state.json the TypeScript side reads at most. */
export const STATE_FILE_LIMIT = 32 * 1024 * 1024;
/** How much the native front end reads: a larger state.json (huge annotations) is handed to the TypeScript side. */
export const STATE_FILE_NATIVE_LIMIT = 4 * 1024 * 1024;
/** exit.json and shim.json: a few fields. */
export const EXIT_FILE_LIMIT = 64 * 1024;

/** Where a failure happened. Values >= OP_BASE are filesystem-script steps (index = op index). */
export const Step = {
  PLAN: 1,
  FIFO: 2,
  CONSOLE_CONNECT: 3,
  SETNS: 4,
  TIMENS: 5,
  CLONE: 6,
  UID_MAP: 7,
  GID_MAP: 8,
  SETGROUPS_DENY: 9,
  OOM_SCORE_ADJ: 10,
  IDMAP: 11,
  SECCOMP_LISTENER: 12,
  CGROUP: 13,
  EXEC_ROOT: 14,
  SHIM: 15,
  /** the launcher making sure it runs from an image no container can write (sealed copy of itself). */
  SELF_EXE: 16,
  SIGNALS: 20,
  CGROUPNS: 47,
  /** reopening exec.fifo through the container's /proc: index 0 errno, 1 /proc not procfs, 2 not the same fifo. */
  FIFO_REOPEN: 48,
  /** making the container's user namespace before the clone (its helper child, its ns file) or entering it. */
  USERNS: 49,
  /** entering an empty detached tmpfs as the launcher's (and the init's) cwd. */
  CWD: 50,
  SYNC: 21,
  SETSID: 22,
  SETUID_ROOT: 23,
  KEYRING: 24,
  RLIMIT: 25,
  NO_NEW_PRIVS: 26,
  SETGROUPS: 27,
  SETGID: 28,
  SETUID: 29,
  KEEPCAPS: 30,
  CAP_BOUNDING: 31,
  CAPSET: 32,
  CAP_AMBIENT: 33,
  CHDIR: 34,
  EXEC_LOOKUP: 35,
  FIFO_WAIT: 36,
  SECCOMP: 37,
  CLOSE_FDS: 38,
  EXEC: 39,
  TTY: 40,
  HOOK: 41,
  APPARMOR: 42,
  SELINUX: 43,
  PERSONALITY: 44,
  SCHEDULER: 45,
  IOPRIO: 46,
  OP_BASE: 100,
  OP_RESOLVE: 100,
  OP_MKDIR: 101,
  OP_MOUNT: 102,
  OP_REMOUNT: 103,
  OP_PROPAGATION: 104,
  OP_MKNOD: 105,
  OP_CHOWN: 106,
  OP_SYMLINK: 107,
  OP_UNLINK: 108,
  OP_PIVOT: 109,
  OP_CHROOT: 110,
  OP_SYSCTL: 111,
  OP_HOSTNAME: 112,
  OP_DOMAINNAME: 113,
  OP_CONSOLE: 114,
  OP_CONSOLE_SEND: 115,
  OP_OPEN_ROOT: 116,
  OP_SYNC: 117,
  OP_MASK: 118,
  OP_READONLY: 119,
  OP_SOURCE: 120,
  OP_SETATTR: 121,
  OP_MOVE_MOUNT: 122,
  /** MASK: /dev/null of the container could not be opened without symlinks (errno), or is not 1:3 (errno 0). */
  OP_NULL_DEVICE: 123,
  /** CONSOLE: /dev/console is a symlink or under one (ELOOP), neither a file nor a character device (0), or errno. */
  OP_CONSOLE_TARGET: 124,
  /** CONSOLE: /dev/ptmx is not devpts's pty multiplexer (errno 0), or errno. */
  OP_PTMX: 125,
  /** MOUNT, IDMAP_BIND: the target resolved to a place inside procfs (through a symlink of the rootfs). */
  OP_IN_PROC: 126,
} as const;

export type StepValue = (typeof Step)[keyof typeof Step];

/**
 * The C++ type of every constant above in the generated header: 'string' is `const char*`, 'char' a single
 * character. scripts/gen-contract.ts refuses a constant without one, a value its type cannot hold, and a name
 * here that is not a constant.
 */
export const NativeType = {
  PLAN_MAGIC: 'uint32_t',
  PLAN_VERSION: 'uint32_t',
  Tag: 'uint32_t',
  ShimMode: 'uint32_t',
  ShimFlag: 'uint64_t',
  HookPhase: 'uint32_t',
  LaunchMode: 'uint32_t',
  NO_UMASK: 'uint64_t',
  ProcessFlag: 'uint64_t',
  OpKind: 'uint32_t',
  OpFlag: 'uint64_t',
  Msg: 'uint32_t',
  MSG_SIZE: 'uint32_t',
  MsgLayout: 'uint32_t',
  StateFile: 'string',
  StateField: 'string',
  ExitField: 'string',
  FrameLayout: 'uint32_t',
  ATTACH_FRAME_MAX: 'uint32_t',
  OutputFrame: 'uint8_t',
  InputFrame: 'uint8_t',
  ResizeLayout: 'uint32_t',
  ShimFile: 'string',
  LogStream: 'string',
  LogTag: 'char',
  LogChar: 'char',
  STATE_FILE_LIMIT: 'uint32_t',
  STATE_FILE_NATIVE_LIMIT: 'uint32_t',
  EXIT_FILE_LIMIT: 'uint32_t',
  Step: 'int32_t',
} as const;

/** Result of a wait: the pid reaped (0 with WNOHANG and nothing to reap) and the raw wait status. */
/** A D-Bus unit property: name, signature and value (s: string, b: boolean, t: bigint, u: number, au: numbers). */
export type SystemdProperty =
  | [string, 's', string]
  | [string, 'b', boolean]
  | [string, 't', bigint]
  | [string, 'u', number]
  | [string, 'au', number[]];

export interface WaitResult {
  pid: number;
  status: number;
}

/**
 * The N-API addon (build/Release/tsrun.node). Every function throws a NativeError (src/errors.ts, made by
 * addon/napi/napi_error.h): errno negative as node:fs's (-2), code its name ('ENOENT'), syscall the failed step,
 * path where there is one, native: true; the message is tsrun's final wording.
 */
export interface NativeAddon {
  /** AF_UNIX SOCK_STREAM pair, both ends close-on-exec. */
  socketpair(): [number, number];
  /**
   * posix_spawn `file` with `argv`/`envp`; child fd i = fds[i] (others closed), all signals default and unblocked.
   * With exeFd, the child executes that fd (through /proc/self/fd) and `file` only names it in errors.
   * Returns the pid.
   */
  spawn(file: string, argv: string[], envp: string[], fds: number[], exeFd?: number): number;
  /**
   * An fd (close-on-exec) of the executable at path that no container can write, for spawn's exeFd
   * (CVE-2019-5736): the file seen through a private read-only overlayfs (Linux 6.15, root), else a sealed
   * memfd copy. `how` says which.
   */
  sealedExe(path: string): { fd: number; how: 'overlay' | 'memfd' };
  /** waitpid(2); flags e.g. WNOHANG = 1. */
  waitpid(pid: number, flags: number): WaitResult;
  /** pidfd_open(2); -1 with ESRCH is thrown as an error. */
  pidfdOpen(pid: number): number;
  /** poll(2): returns revents per fd; timeout -1 waits forever. EINTR is retried. */
  poll(fds: number[], events: number[], timeoutMs: number): number[];
  /**
   * poll(2) without timeout on a libuv threadpool thread (held for the whole wait): resolves with revents per fd.
   * Only the fallback of src/native/wait.ts's pollFds where io_uring is refused; use pollFds.
   */
  pollAsync(fds: number[], events: number[]): Promise<number[]>;
  /**
   * Arms one io_uring POLL_ADD per fd, each linked to a one-byte write into a pipe: `wake` (the pipe's read
   * end, non-blocking) becomes readable once one fd is ready, for the event loop to watch. Closing `ring`
   * cancels what is left; the caller closes both. Throws (ENOSYS, EPERM, ...) where io_uring is refused.
   * At most 64 fds. See src/native/wait.ts.
   */
  pollWake(fds: number[], events: number[]): { wake: number; ring: number };
  /** eventfd(0, EFD_CLOEXEC). */
  eventfd(): number;
  /** flock(2) with LOCK_* op. */
  flock(fd: number, op: number): void;
  mkfifo(path: string, mode: number): void;
  /** openat2(root, path, flags|O_CLOEXEC, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS): a path of a rootfs, never leaving it. */
  openInRoot(root: string, path: string, flags: number): number;
  /** ioctl(NS_GET_NSTYPE) on the file at path: the CLONE_NEW* type of a namespace file. */
  nsType(path: string): number;
  /** A listening AF_UNIX stream socket at path (close-on-exec). */
  listenUnix(path: string): number;
  /** accept4(2), close-on-exec. */
  accept(fd: number): number;
  /** recvmsg(2) of one message carrying one SCM_RIGHTS fd: the fd and the payload as a string. */
  recvFd(fd: number): { fd: number; data: string };
  /** Version of the libseccomp linked into the native core. */
  seccompVersion(): string;
  /** The linked libseccomp resolves this architecture name (seccomp_arch_resolve_name, e.g. "x86_64"). */
  seccompArchKnown(name: string): boolean;
  /** An AF_UNIX datagram socket bound to (bind) or connected to path ('@name': abstract). Close-on-exec. */
  unixDgram(path: string, bind: boolean): number;
  /** An AF_UNIX stream socket connected to path (Go's net.Dial("unix", path)). Close-on-exec. */
  connectUnix(path: string): number;
  /** sendmsg(2) of data with fd as one SCM_RIGHTS. */
  sendFd(sock: number, data: string, fd: number): void;
  /** pipe2(O_CLOEXEC): [read end, write end]. */
  pipe(): [number, number];
  /** _exit(2): ends the process at once, skipping the engine's teardown (code outside 0-255 becomes 1). */
  exitNow(code: number): never;
  /**
   * sd-bus (libsystemd, loaded on first use): StartTransientUnit (with properties) or StopUnit on the system bus,
   * then waits for the job's JobRemoved signal. Returns the job's result ("done" on success). Throws a NativeError
   * whose syscall is the step and whose dbusError is the D-Bus error name (e.g. org.freedesktop.systemd1.NoSuchUnit).
   */
  /** `user`: the user's systemd (an ordinary user's containers), not the system's. */
  systemdUnitJob(method: 'StartTransientUnit' | 'StopUnit', unit: string, props: SystemdProperty[], timeoutMs: number, user?: boolean): string;
  /** The manager's ControlGroup property: the cgroup its units are under. */
  systemdManagerCgroup(user: boolean): string;
  /** BPF_PROG_LOAD of a BPF_PROG_TYPE_CGROUP_DEVICE program (8-byte instructions); returns its fd. */
  bpfLoadDeviceProgram(insns: Buffer, license: string): number;
  /** BPF_PROG_ATTACH as BPF_CGROUP_DEVICE with BPF_F_ALLOW_MULTI to the cgroup directory fd. */
  bpfAttachDevice(cgroupFd: number, progFd: number): void;
  bpfDetachDevice(cgroupFd: number, progFd: number): void;
  /** fds of the device programs attached to the cgroup directory itself. */
  bpfQueryDevice(cgroupFd: number): number[];
  /**
   * Compiles a seccomp filter with libseccomp and exports it as a classic BPF program (8 bytes per
   * instruction), ready for seccomp(2). Names the running libseccomp does not know are skipped (runc does
   * the same) and returned in `skipped`.
   */
  compileSeccomp(defaultAction: number, architectures: string[], rules: SeccompRule[]): { program: Buffer; skipped: string[] };
}

/** One seccomp rule for compileSeccomp. */
export interface SeccompRule {
  /** Syscall name. */
  name: string;
  /** SCMP_ACT_* value, errno or trace data included (SCMP_ACT_ERRNO(1) = 0x00050001). */
  action: number;
  /** Argument comparisons: [argument index, SCMP_CMP_* operator, value, valueTwo]. */
  args: [number, number, bigint, bigint][];
}
