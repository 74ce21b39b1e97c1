// The container's lock: an exclusive flock on its state directory, as StateDir.lock takes it.
#pragma once

namespace front {

void lock_dir(int dirfd);

}  // namespace front
