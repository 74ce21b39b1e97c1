// Raw syscalls glibc 2.36 does not wrap, and small async-signal-safe helpers shared by the launcher and the init.
// Everything here is usable between clone and execve: no allocation, no locks, no stdio.
#pragma once
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "contract.h"

namespace tsrun {

inline long sys_clone3(struct clone_args* args) { return syscall(SYS_clone3, args, sizeof(*args)); }

inline int sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

inline int sys_pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(syscall(SYS_pivot_root, new_root, put_old));
}

inline int sys_pidfd_open(pid_t pid, unsigned flags) { return static_cast<int>(syscall(SYS_pidfd_open, pid, flags)); }

// The new mount API (Linux 5.2 / 5.12), by raw syscall: older glibc has no wrappers, and <linux/mount.h>
// clashes with <sys/mount.h> on some glibc versions.
struct MountAttr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};
constexpr unsigned TS_OPEN_TREE_CLONE = 1;
constexpr unsigned TS_AT_RECURSIVE = 0x8000;
constexpr unsigned TS_AT_EMPTY_PATH = 0x1000;
constexpr unsigned TS_MOVE_MOUNT_F_EMPTY_PATH = 0x04;
constexpr unsigned TS_MOVE_MOUNT_T_EMPTY_PATH = 0x40;
constexpr uint64_t TS_MOUNT_ATTR_IDMAP = 0x00100000;

inline int sys_open_tree(int dirfd, const char* path, unsigned flags) {
  return static_cast<int>(syscall(SYS_open_tree, dirfd, path, flags));
}
inline int sys_move_mount(int from_dfd, const char* from, int to_dfd, const char* to, unsigned flags) {
  return static_cast<int>(syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags));
}
inline int sys_mount_setattr(int dfd, const char* path, unsigned flags, MountAttr* attr) {
  return static_cast<int>(syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof(*attr)));
}

// Reads/writes exactly n bytes (retrying EINTR and short transfers). Returns 0, -1 (errno) or 1 for EOF on read.
int read_full(int fd, void* buf, size_t n);
int write_full(int fd, const void* buf, size_t n);

// One control message. recv_msg returns 1 on EOF.
int send_msg(int fd, uint32_t type, int32_t a = 0, int32_t b = 0, int32_t c = 0);
int recv_msg(int fd, Msg16* m);

// Decimal formatting into a caller buffer; returns the number of characters written (no NUL).
size_t fmt_u64(char* out, uint64_t v);
size_t fmt_i64(char* out, int64_t v);

// Bounded string helpers (memcpy-like, async-signal-safe). Return false if the result would not fit.
bool str_append(char* dst, size_t cap, size_t* len, const char* src);
size_t str_len(const char* s);

// sendmsg(2) of the iovecs with one fd as SCM_RIGHTS (MSG_NOSIGNAL). Returns 0 or -1 (errno).
int send_fd(int sock, struct iovec* iov, int iovcnt, int fd);

// recvmsg(2) of one message carrying exactly one SCM_RIGHTS fd (received close-on-exec). Returns the payload
// length and sets *fd, or -1 (errno; EPROTO when the message carries no single fd).
long recv_fd(int sock, char* buf, size_t len, int* fd);

// "/proc/self/fd/<fd>" into buf (at least 32 bytes).
const char* proc_fd_path(char* buf, int fd);

}  // namespace tsrun
