#include "cgroup_warm.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "files.h"

namespace front {

namespace {

// cgroup.procs of our own cgroup in one hierarchy (the lock is global): a v1 pids or memory hierarchy where
// there is one, the cgroup2 one on a pure v2 host (only when a move follows there), else "".
std::string own_procs_file(bool moves_on_v2) {
  ReadResult r = read_bounded(AT_FDCWD, "/proc/self/cgroup", 64 * 1024, false);
  if (r.err) return "";
  std::string v2;
  int lines = 0;
  for (size_t at = 0, end; at < r.data.size(); at = end + 1) {
    end = r.data.find('\n', at);
    if (end == std::string::npos) end = r.data.size();
    std::string line = r.data.substr(at, end - at);
    if (line.empty()) continue;
    lines++;
    size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) return "";
    std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (path.find("..") != std::string::npos) return "";
    if (controllers == "pids" || controllers == "memory") return "/sys/fs/cgroup/" + controllers + path + "/cgroup.procs";
    if (controllers.empty()) v2 = "/sys/fs/cgroup" + path + "/cgroup.procs";
  }
  return lines == 1 && moves_on_v2 ? v2 : "";
}

}  // namespace

bool warm_cgroup_migration(bool moves_on_v2) {
  std::string procs = own_procs_file(moves_on_v2);
  if (procs.empty()) return false;
  pid_t child = fork();
  if (child < 0) return false;
  if (child == 0) {
    // The grandchild is orphaned at once: nothing of the caller waits for it, and it holds none of the caller's
    // files (a caller reading our output to its end must not wait for it either).
    if (fork() != 0) _exit(0);
    syscall(SYS_close_range, 0U, ~0U, 0U);
    int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) (void)!write(fd, "0", 1);  // "0": the writer itself, into the cgroup it is in
    _exit(0);
  }
  while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  return true;
}

}  // namespace front
