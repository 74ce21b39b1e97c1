#include "files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "error.h"
#include "fd.h"

using tsrun::Fd;

namespace front {

ReadResult read_bounded(int dirfd, const std::string& name, size_t limit, bool nofollow) {
  ReadResult r;
  Fd fd(openat(dirfd, name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0)));
  if (!fd.valid()) return {errno, ""};
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return {errno, ""};
  if (!S_ISREG(st.st_mode)) return {EFTYPE_, ""};
  if (static_cast<uint64_t>(st.st_size) > limit) return {EFBIG, ""};
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {errno, ""};
    if (n == 0) break;
    r.data.append(buf, static_cast<size_t>(n));
    if (r.data.size() > limit) return {EFBIG, ""};  // grew while being read
  }
  return r;
}

bool write_all(int fd, const std::string& s) {
  for (size_t off = 0; off < s.size();) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string file_kind(mode_t m) {
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISLNK(m)) return "a symlink";
  return "not a file";
}

namespace {

// The entries of an open directory (the fd is duplicated: closedir closes its own).
std::vector<std::string> entries(int dirfd, const std::string& shown) {
  int dup = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) fail("open " + shown, errno, "dup");
  DIR* d = fdopendir(dup);
  if (!d) {
    int err = errno;
    close(dup);
    fail("open " + shown, err, "fdopendir");
  }
  std::vector<std::string> out;
  errno = 0;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
    errno = 0;
  }
  int err = errno;
  closedir(d);
  if (err) fail("scandir " + shown, err, "readdir");
  return out;
}

}  // namespace

void remove_tree(int dirfd, const std::string& name, const std::string& shown) {
  if (unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR) fail("unlink " + shown, errno, "unlink");
  Fd sub(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub.valid()) {
    if (errno == ENOENT) return;
    fail("open " + shown, errno, "open");
  }
  // unlinkat first for every entry: EISDIR tells a directory without trusting d_type.
  for (auto& n : entries(sub.get(), shown)) remove_tree(sub.get(), n, shown + "/" + n);
  if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) fail("rmdir " + shown, errno, "rmdir");
}

void remove_path(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : p.substr(0, slash);
  std::string base = slash == std::string::npos ? p : p.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") fail("rm " + path, EINVAL, "rm");
  Fd dir(open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) return;  // rmSync(force): nothing there
    fail("open " + parent, errno, "open");
  }
  remove_tree(dir.get(), base, path);
}

std::string join_path(const std::string& a, const std::string& b) {
  std::string out;
  for (char c : a + "/" + b)
    if (!(c == '/' && !out.empty() && out.back() == '/')) out += c;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace front
