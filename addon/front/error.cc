#include "error.h"

#include <cerrno>
#include <cstdlib>
#include <cstdio>

namespace front {

namespace {
bool g_committed = false;

const char* words(int err) {
  switch (err) {
    case EPERM: return "operation not permitted";
    case ENOENT: return "no such file or directory";
    case ESRCH: return "no such process";
    case EINTR: return "interrupted system call";
    case EIO: return "input/output error";
    case ENXIO: return "no such device or address";
    case E2BIG: return "argument list too long";
    case ENOEXEC: return "exec format error";
    case EBADF: return "bad file descriptor";
    case ECHILD: return "no child processes";
    case EAGAIN: return "resource temporarily unavailable";
    case ENOMEM: return "cannot allocate memory";
    case EACCES: return "permission denied";
    case EFAULT: return "bad address";
    case ENOTBLK: return "block device required";
    case EBUSY: return "device or resource busy";
    case EEXIST: return "file exists";
    case EXDEV: return "invalid cross-device link";
    case ENODEV: return "no such device";
    case ENOTDIR: return "not a directory";
    case EISDIR: return "is a directory";
    case EINVAL: return "invalid argument";
    case ENFILE: return "too many open files in system";
    case EMFILE: return "too many open files";
    case ENOTTY: return "inappropriate ioctl for device";
    case ETXTBSY: return "text file busy";
    case EFBIG: return "file too large";
    case ENOSPC: return "no space left on device";
    case ESPIPE: return "illegal seek";
    case EROFS: return "read-only file system";
    case EMLINK: return "too many links";
    case EPIPE: return "broken pipe";
    case EDOM: return "numerical argument out of domain";
    case ERANGE: return "numerical result out of range";
    case EDEADLK: return "resource deadlock avoided";
    case ENAMETOOLONG: return "file name too long";
    case ENOLCK: return "no locks available";
    case ENOSYS: return "function not implemented";
    case ENOTEMPTY: return "directory not empty";
    case ELOOP: return "too many levels of symbolic links";
    case ENOTSOCK: return "socket operation on non-socket";
    case EOPNOTSUPP: return "operation not supported";
    case EADDRINUSE: return "address already in use";
    case ECONNREFUSED: return "connection refused";
    case ECONNRESET: return "connection reset by peer";
    case ETIMEDOUT: return "connection timed out";
    case EOVERFLOW: return "value too large for defined data type";
    case EUSERS: return "too many users";
    case EDQUOT: return "disk quota exceeded";
    case ESTALE: return "stale NFS file handle";
    case ENOMEDIUM: return "no medium found";
    case EOWNERDEAD: return "owner died";
    default: return nullptr;
  }
}
}  // namespace

std::string errno_words(int err) {
  const char* w = words(err);
  return w ? w : "errno " + std::to_string(err);
}

void fail(const std::string& what, int err, const char* step) {
  throw Error(err ? what + ": " + errno_words(err) : what, err, step);
}

void delegate(const std::string& why) {
  if (g_committed) {
    // A bug of the front: the decision to delegate must come before any side effect.
    fprintf(stderr, "tsrun: internal error: delegating after a side effect (%s)\n", why.c_str());
    _Exit(1);
  }
  throw Delegate{why, ""};
}

void side_effects_begin() { g_committed = true; }

}  // namespace front
