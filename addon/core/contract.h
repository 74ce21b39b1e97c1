// Mirror of src/native/contract.ts: the plan format, the control messages, the step codes and the state directory.
// test/native/contract.test.ts compares every value with the TypeScript side.
#pragma once
#include <cstdint>

namespace tsrun {

constexpr uint32_t PLAN_MAGIC = 0x4c505354;
constexpr uint32_t PLAN_VERSION = 1;

namespace Tag {
constexpr uint32_t MODE = 1;
constexpr uint32_t NS_NEW = 2;
constexpr uint32_t NS_JOIN = 3;
constexpr uint32_t TIMENS = 4;
constexpr uint32_t UID_MAP = 5;
constexpr uint32_t GID_MAP = 6;
constexpr uint32_t SETGROUPS_DENY = 7;
constexpr uint32_t FIFO = 8;
constexpr uint32_t CONSOLE_SOCKET = 9;
constexpr uint32_t CONSOLE_SIZE = 10;
constexpr uint32_t OP = 11;
constexpr uint32_t ARG = 12;
constexpr uint32_t ENV = 13;
constexpr uint32_t EXE = 14;
constexpr uint32_t CWD = 15;
constexpr uint32_t USER = 16;
constexpr uint32_t GROUP = 17;
constexpr uint32_t CAPS = 18;
constexpr uint32_t RLIMIT = 19;
constexpr uint32_t PROCESS_FLAGS = 20;
constexpr uint32_t KEYRING = 21;
constexpr uint32_t PRESERVE_FDS = 22;
constexpr uint32_t OOM_SCORE_ADJ = 23;
constexpr uint32_t SECCOMP = 24;
constexpr uint32_t HOOK = 25;
constexpr uint32_t HOOK_STATE = 26;
constexpr uint32_t PERSONALITY = 27;
constexpr uint32_t SCHEDULER = 28;
constexpr uint32_t IOPRIO = 29;
constexpr uint32_t APPARMOR = 30;
constexpr uint32_t SELINUX = 31;
constexpr uint32_t IDMAP_MOUNT = 32;
constexpr uint32_t SECCOMP_LISTENER = 33;
constexpr uint32_t CGROUP_DIR = 34;
constexpr uint32_t EXEC_ROOT = 35;
constexpr uint32_t SHIM = 36;
}  // namespace Tag

namespace ShimMode {
constexpr uint32_t AUTO = 1;
constexpr uint32_t ALWAYS = 2;
}  // namespace ShimMode

namespace ShimFlag {
constexpr uint64_t STDIN = 1 << 0;
constexpr uint64_t KEEP_STDOUT = 1 << 1;
constexpr uint64_t KEEP_STDERR = 1 << 2;
}  // namespace ShimFlag

namespace HookPhase {
constexpr uint32_t CREATE_RUNTIME = 1;
constexpr uint32_t CREATE_CONTAINER = 2;
constexpr uint32_t START_CONTAINER = 3;
}  // namespace HookPhase

namespace LaunchMode {
constexpr uint32_t DETACHED = 0;
constexpr uint32_t FOREGROUND = 1;
}  // namespace LaunchMode

constexpr uint64_t NO_UMASK = 0xffffffff;

namespace ProcessFlag {
constexpr uint64_t NO_NEW_PRIVS = 1 << 0;
constexpr uint64_t TERMINAL = 1 << 1;
constexpr uint64_t NEW_KEYRING = 1 << 2;
constexpr uint64_t SETGROUPS = 1 << 3;
constexpr uint64_t SUBREAPER = 1 << 4;
constexpr uint64_t NEW_CGROUPNS = 1 << 5;
constexpr uint64_t EXEC = 1 << 6;
}  // namespace ProcessFlag

namespace OpKind {
constexpr uint32_t MOUNT = 1;
constexpr uint32_t OPEN_ROOT = 2;
constexpr uint32_t MKNOD = 3;
constexpr uint32_t SYMLINK = 4;
constexpr uint32_t UNLINK = 5;
constexpr uint32_t PIVOT = 6;
constexpr uint32_t CHROOT = 7;
constexpr uint32_t MASK = 8;
constexpr uint32_t READONLY = 9;
constexpr uint32_t REMOUNT_RO = 10;
constexpr uint32_t SYSCTL = 11;
constexpr uint32_t HOSTNAME = 12;
constexpr uint32_t DOMAINNAME = 13;
constexpr uint32_t CONSOLE = 14;
constexpr uint32_t SYNC = 15;
constexpr uint32_t MKDIR = 16;
constexpr uint32_t HOOKS = 17;
constexpr uint32_t IDMAP_BIND = 18;
constexpr uint32_t PARENT_PROPAGATION = 19;
}  // namespace OpKind

namespace OpFlag {
constexpr uint64_t TGT_HOST = 1 << 0;
constexpr uint64_t MK_DIR = 1 << 1;
constexpr uint64_t MK_FILE = 1 << 2;
constexpr uint64_t NO_SYMLINK = 1 << 3;
constexpr uint64_t SRC_IN_ROOT = 1 << 4;
constexpr uint64_t NO_PIVOT = 1 << 5;
constexpr uint64_t OPTIONAL = 1 << 6;
constexpr uint64_t PROC_ALLOWED = 1 << 7;
}  // namespace OpFlag

namespace Msg {
constexpr uint32_t PID = 1;
constexpr uint32_t CONTINUE = 2;
constexpr uint32_t READY = 3;
constexpr uint32_t ERROR = 4;
constexpr uint32_t SYNC = 5;
constexpr uint32_t EXITED = 6;
}  // namespace Msg

constexpr uint32_t MSG_SIZE = 16;

namespace Step {
constexpr int32_t PLAN = 1;
constexpr int32_t FIFO = 2;
constexpr int32_t CONSOLE_CONNECT = 3;
constexpr int32_t SETNS = 4;
constexpr int32_t TIMENS = 5;
constexpr int32_t CLONE = 6;
constexpr int32_t UID_MAP = 7;
constexpr int32_t GID_MAP = 8;
constexpr int32_t SETGROUPS_DENY = 9;
constexpr int32_t OOM_SCORE_ADJ = 10;
constexpr int32_t IDMAP = 11;
constexpr int32_t SECCOMP_LISTENER = 12;
constexpr int32_t CGROUP = 13;
constexpr int32_t EXEC_ROOT = 14;
constexpr int32_t SHIM = 15;
constexpr int32_t SELF_EXE = 16;
constexpr int32_t SIGNALS = 20;
constexpr int32_t SYNC = 21;
constexpr int32_t SETSID = 22;
constexpr int32_t SETUID_ROOT = 23;
constexpr int32_t KEYRING = 24;
constexpr int32_t RLIMIT = 25;
constexpr int32_t NO_NEW_PRIVS = 26;
constexpr int32_t SETGROUPS = 27;
constexpr int32_t SETGID = 28;
constexpr int32_t SETUID = 29;
constexpr int32_t KEEPCAPS = 30;
constexpr int32_t CAP_BOUNDING = 31;
constexpr int32_t CAPSET = 32;
constexpr int32_t CAP_AMBIENT = 33;
constexpr int32_t CHDIR = 34;
constexpr int32_t EXEC_LOOKUP = 35;
constexpr int32_t FIFO_WAIT = 36;
constexpr int32_t SECCOMP = 37;
constexpr int32_t CLOSE_FDS = 38;
constexpr int32_t EXEC = 39;
constexpr int32_t TTY = 40;
constexpr int32_t HOOK = 41;
constexpr int32_t APPARMOR = 42;
constexpr int32_t SELINUX = 43;
constexpr int32_t PERSONALITY = 44;
constexpr int32_t SCHEDULER = 45;
constexpr int32_t IOPRIO = 46;
constexpr int32_t CGROUPNS = 47;
constexpr int32_t FIFO_REOPEN = 48;
constexpr int32_t USERNS = 49;
constexpr int32_t CWD = 50;
constexpr int32_t OP_BASE = 100;
constexpr int32_t OP_RESOLVE = 100;
constexpr int32_t OP_MKDIR = 101;
constexpr int32_t OP_MOUNT = 102;
constexpr int32_t OP_REMOUNT = 103;
constexpr int32_t OP_PROPAGATION = 104;
constexpr int32_t OP_MKNOD = 105;
constexpr int32_t OP_CHOWN = 106;
constexpr int32_t OP_SYMLINK = 107;
constexpr int32_t OP_UNLINK = 108;
constexpr int32_t OP_PIVOT = 109;
constexpr int32_t OP_CHROOT = 110;
constexpr int32_t OP_SYSCTL = 111;
constexpr int32_t OP_HOSTNAME = 112;
constexpr int32_t OP_DOMAINNAME = 113;
constexpr int32_t OP_CONSOLE = 114;
constexpr int32_t OP_CONSOLE_SEND = 115;
constexpr int32_t OP_OPEN_ROOT = 116;
constexpr int32_t OP_SYNC = 117;
constexpr int32_t OP_MASK = 118;
constexpr int32_t OP_READONLY = 119;
constexpr int32_t OP_SOURCE = 120;
constexpr int32_t OP_SETATTR = 121;
constexpr int32_t OP_MOVE_MOUNT = 122;
constexpr int32_t OP_NULL_DEVICE = 123;
constexpr int32_t OP_CONSOLE_TARGET = 124;
constexpr int32_t OP_PTMX = 125;
constexpr int32_t OP_IN_PROC = 126;
}  // namespace Step

struct Msg16 {
  uint32_t type;
  int32_t a;
  int32_t b;
  int32_t c;
};
static_assert(sizeof(Msg16) == MSG_SIZE, "control message is 16 bytes");

// The state directory <root>/<id>/: its files, and the fields of state.json and exit.json the native side reads.
namespace StateFile {
constexpr const char* STATE = "state.json";
constexpr const char* FIFO = "exec.fifo";
constexpr const char* EXIT = "exit.json";
constexpr const char* NOTIFY = "notify";
constexpr const char* SECCOMP = "seccomp.bpf";
constexpr const char* ATTACH_SOCKET = "attach.sock";
constexpr const char* LOG = "container.log";
constexpr const char* EXECS = "execs";
constexpr const char* EXEC_SHIM = "shim.json";
}  // namespace StateFile

namespace StateField {
constexpr const char* ID = "id";
constexpr const char* OCI_VERSION = "ociVersion";
constexpr const char* PID = "pid";
constexpr const char* PID_START_TIME = "pidStartTime";
constexpr const char* BUNDLE = "bundle";
constexpr const char* ROOTFS = "rootfs";
constexpr const char* CREATED = "created";
constexpr const char* ANNOTATIONS = "annotations";
constexpr const char* PRIVATE_PID_NS = "privatePidNs";
constexpr const char* HOOKS = "hooks";
constexpr const char* HOOKS_POSTSTART = "poststart";
constexpr const char* HOOKS_POSTSTOP = "poststop";
constexpr const char* CGROUP = "cgroup";
constexpr const char* CG_DRIVER = "driver";
constexpr const char* CG_LAYOUT = "layout";
constexpr const char* CG_MODE = "mode";
constexpr const char* CG_PATHS = "paths";
constexpr const char* CG_V1 = "v1";
constexpr const char* CG_V2 = "v2";
constexpr const char* SHIM = "shim";
constexpr const char* SHIM_PID = "pid";
constexpr const char* SHIM_START_TIME = "startTime";
constexpr const char* LOG_DIR = "logDir";
}  // namespace StateField

namespace ExitField {
constexpr const char* PID = "pid";
constexpr const char* EXIT_CODE = "exitCode";
constexpr const char* SIGNAL = "signal";
constexpr const char* OOM_KILLED = "oomKilled";
constexpr const char* EXITED_AT = "exitedAt";
}  // namespace ExitField

constexpr uint32_t STATE_FILE_LIMIT = 32 << 20;
constexpr uint32_t STATE_FILE_NATIVE_LIMIT = 4 << 20;
constexpr uint32_t EXIT_FILE_LIMIT = 64 << 10;

}  // namespace tsrun
