#include "lock.h"

#include <sys/file.h>

#include <cerrno>

#include "error.h"

namespace front {

void lock_dir(int dirfd) {
  while (flock(dirfd, LOCK_EX) != 0)
    if (errno != EINTR) fail("flock", errno, "flock");
}

}  // namespace front
