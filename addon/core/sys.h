// Raw syscalls glibc 2.36 does not wrap, and small async-signal-safe helpers shared by the launcher and the init.
// Everything here is usable between clone and execve: no allocation, no locks, no stdio.
#pragma once
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
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

// "/proc/self/fd/<fd>" into buf (at least 32 bytes).
const char* proc_fd_path(char* buf, int fd);

}  // namespace tsrun
