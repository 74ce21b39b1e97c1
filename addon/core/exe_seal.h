// The launcher's image out of a container's reach (CVE-2019-5736). Until its execve, the init and every exec'd
// process run the launcher's image, so /proc/<pid>/exe of each leads to that file; a container that gets one of
// them to execute "#!/proc/self/exe" even runs it inside. Were the image the host's file, the container could
// hold it (O_PATH) and, once nothing executes it any more, reopen it for writing through /proc/self/fd: the next
// container start would run its code as root on the host. So the launcher only ever runs from an image nobody
// can write: the host file seen through a private read-only overlayfs (no copy, what runc 1.2 does first), or a
// sealed memfd copy. Syscalls only, no allocation.
#pragma once

namespace tsrun {

// An O_PATH fd (close-on-exec) of `name` in the directory `dirfd`, through a new overlayfs that is mounted
// nowhere and has no upper layer: its superblock is read-only, so nothing can be written through it, whatever
// happens to the mount's flags later (a read-only bind mount could be made writable again). The second lower
// layer overlayfs insists on is an empty detached tmpfs, so no path of the host is involved; layers given by fd,
// a detached one among them, need Linux 6.15. -1 with errno where the kernel or the caller's privileges do not
// allow it.
int open_via_readonly_overlay(int dirfd, const char* name);

// A close-on-exec memfd holding a copy of the regular file `src` (read from offset 0), sealed against writing,
// shrinking, growing and further seals. -1 with errno.
int sealed_copy(int src);

// Whether nobody can write the image this process runs from: a memfd with sealed_copy's seals, or a file on a
// read-only superblock (open_via_readonly_overlay's overlay, a read-only filesystem). 1 yes, 0 no, -1 with errno
// (/proc/self/exe cannot be opened).
int self_image_sealed();

}  // namespace tsrun
