#include "proc.h"

#include <poll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "error.h"
#include "files.h"
#include "sys.h"

using tsrun::Fd;

namespace front {

bool valid_pid(int64_t pid) { return pid > 0 && pid <= INT_MAX; }

bool same_live_process(int64_t pid, const std::string& start_time) {
  if (!valid_pid(pid)) return false;
  // One line with a comm of at most 64 bytes: 4 KiB is plenty (src/util/proc.ts reads the same bound).
  ReadResult r = read_bounded(AT_FDCWD, "/proc/" + std::to_string(pid) + "/stat", 4096, false);
  if (r.err) return false;
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  size_t close = r.data.rfind(')');
  if (close == std::string::npos || close + 2 > r.data.size()) return false;
  std::string rest = r.data.substr(close + 2);
  std::string field[20];
  size_t pos = 0;
  for (int i = 0; i < 20; i++) {
    size_t sp = rest.find(' ', pos);
    field[i] = rest.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    if (sp == std::string::npos) {
      if (i < 19) return false;
      break;
    }
    pos = sp + 1;
  }
  return field[0] != "Z" && field[0] != "X" && field[19] == start_time;
}

Fd pidfd_open_plain(int64_t pid) {
  if (!valid_pid(pid)) return Fd();
  return Fd(tsrun::sys_pidfd_open(static_cast<pid_t>(pid), 0));
}

Fd pidfd_of(int64_t pid, const std::string& start_time) {
  Fd fd = pidfd_open_plain(pid);
  if (fd.valid() && !same_live_process(pid, start_time)) fd.reset();
  return fd;
}

short wait_fd(int fd, short events, int timeout_ms) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    struct pollfd p = {fd, events, 0};
    int left = timeout_ms;
    if (timeout_ms >= 0) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      left = spent >= timeout_ms ? 0 : timeout_ms - static_cast<int>(spent);
    }
    int n = poll(&p, 1, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("poll", errno, "poll");
    return n == 0 ? 0 : p.revents;
  }
}

}  // namespace front
