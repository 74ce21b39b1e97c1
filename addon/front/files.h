// File helpers of the front: bounded reads (never a FIFO that blocks or a device that never ends), writes
// that finish, and a recursive removal that never follows a symlink.
#pragma once
#include <sys/types.h>

#include <string>

namespace front {

struct ReadResult {
  int err = 0;  // 0, an errno, or EFBIG (larger than the limit) / EFTYPE_ (not a regular file)
  std::string data;
};
constexpr int EFTYPE_ = -1;

// The regular file `name` under dirfd (AT_FDCWD for a path), at most `limit` bytes. nofollow: a symlink as the
// last component is refused (ELOOP).
ReadResult read_bounded(int dirfd, const std::string& name, size_t limit, bool nofollow);

// write(2) until done (EINTR retried); false with errno on failure.
bool write_all(int fd, const std::string& s);

// "a FIFO", "a directory", ...: what a path is instead of a regular file (src/util/fs.ts fileKind).
std::string file_kind(mode_t mode);

// rm -rf of `name` under dirfd without following any symlink (one is removed, not entered); a missing entry is
// fine. `shown` is the path messages name. Throws an Error on other failures.
void remove_tree(int dirfd, const std::string& name, const std::string& shown);
// The same for a path: its parent directories are resolved as usual, the last component is never followed.
void remove_path(const std::string& path);

// path.join(a, b) for an `a` without "." or ".." components: "//run//tsrun/" + "x" → "/run/tsrun/x".
std::string join_path(const std::string& a, const std::string& b);

}  // namespace front
