// Processes: whether a recorded pid is still the same live process (pid + /proc start time), pidfds pinned to
// it, and waiting on fds with poll(2) (never a sleep).
#pragma once
#include <cstdint>
#include <string>

#include "fd.h"

namespace front {

// /proc/<pid>/stat is alive (not a zombie) and started at `start_time` (clock ticks since boot).
bool same_live_process(int64_t pid, const std::string& start_time);

// A pidfd of the recorded process, checked after opening (from then on it pins the process we verified);
// invalid if it is gone or the pid is another process now.
tsrun::Fd pidfd_of(int64_t pid, const std::string& start_time);

// pidfd_open(2) alone: invalid when there is no such pid.
tsrun::Fd pidfd_open_plain(int64_t pid);

// poll(2) on one fd for `events`, EINTR retried with the time left; timeout_ms < 0 waits forever.
// Returns the revents (0 on timeout).
short wait_fd(int fd, short events, int timeout_ms);

bool valid_pid(int64_t pid);

}  // namespace front
