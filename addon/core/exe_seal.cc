#include "exe_seal.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "fd.h"

namespace tsrun {

namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// The new mount API by raw syscall (see sys.h for why).
constexpr unsigned FSOPEN_CLOEXEC_ = 0x1;
constexpr unsigned FSCONFIG_SET_STRING_ = 1;
constexpr unsigned FSCONFIG_SET_FD_ = 5;
constexpr unsigned FSCONFIG_CMD_CREATE_ = 6;
constexpr unsigned FSMOUNT_CLOEXEC_ = 0x1;
constexpr unsigned MOUNT_ATTR_RDONLY_ = 0x1, MOUNT_ATTR_NOSUID_ = 0x2, MOUNT_ATTR_NODEV_ = 0x4, MOUNT_ATTR_NOEXEC_ = 0x8;
constexpr unsigned MFD_EXEC_ = 0x10;

int fs_open(const char* type) { return static_cast<int>(syscall(SYS_fsopen, type, FSOPEN_CLOEXEC_)); }
int fs_config(int fs, unsigned cmd, const char* key, const char* value, int aux) {
  return static_cast<int>(syscall(SYS_fsconfig, fs, cmd, key, value, aux));
}
int fs_mount(int fs, unsigned attrs) { return static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC_, attrs)); }

}  // namespace

int open_via_readonly_overlay(int dirfd, const char* name) {
  Fd tmpfs_ctx(fs_open("tmpfs"));
  if (!tmpfs_ctx.valid() || fs_config(tmpfs_ctx.get(), FSCONFIG_CMD_CREATE_, nullptr, nullptr, 0) < 0) return -1;
  // Kept open until the overlay exists: closing the last fd of a detached mount dissolves it.
  Fd empty(fs_mount(tmpfs_ctx.get(), MOUNT_ATTR_RDONLY_ | MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_ | MOUNT_ATTR_NOEXEC_));
  if (!empty.valid()) return -1;
  Fd ctx(fs_open("overlay"));
  if (!ctx.valid()) return -1;
  // The binary's directory on top, so that nothing in the other layer can stand in for it.
  if (fs_config(ctx.get(), FSCONFIG_SET_FD_, "lowerdir+", nullptr, dirfd) < 0 ||
      fs_config(ctx.get(), FSCONFIG_SET_FD_, "lowerdir+", nullptr, empty.get()) < 0)
    return -1;
  // Layers on different filesystems make overlayfs log about xino; the setting does not matter here.
  (void)fs_config(ctx.get(), FSCONFIG_SET_STRING_, "xino", "off", 0);
  if (fs_config(ctx.get(), FSCONFIG_CMD_CREATE_, nullptr, nullptr, 0) < 0) return -1;
  Fd mnt(fs_mount(ctx.get(), MOUNT_ATTR_RDONLY_ | MOUNT_ATTR_NOSUID_ | MOUNT_ATTR_NODEV_));
  if (!mnt.valid()) return -1;
  return openat(mnt.get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

int sealed_copy(int src) {
  struct stat st;
  if (fstat(src, &st) < 0) return -1;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  // MFD_EXEC (Linux 6.3) keeps it executable under vm.memfd_noexec=1; older kernels refuse the flag.
  Fd mem(memfd_create("tsrun-launcher", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC_));
  if (!mem.valid() && errno == EINVAL) mem.reset(memfd_create("tsrun-launcher", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!mem.valid()) return -1;
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mem.get(), src, &off, static_cast<size_t>(st.st_size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) {  // the file shrank under us
      errno = EIO;
      return -1;
    }
  }
  if (fcntl(mem.get(), F_ADD_SEALS, kSeals) < 0) return -1;
  return mem.release();
}

int self_image_sealed() {
  // A read-only superblock refuses a write open before anything else is looked at (ETXTBSY, mount flags):
  // EROFS here is about the file itself, not about the mount it was reached through.
  int w = open("/proc/self/exe", O_WRONLY | O_CLOEXEC);
  if (w >= 0) {
    close(w);  // a kernel that lets an executing file be opened for writing: nothing was written
    return 0;
  }
  if (errno == EROFS) return 1;
  Fd self(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self.valid()) return -1;
  int seals = fcntl(self.get(), F_GET_SEALS);
  if (seals < 0) return errno == EINVAL ? 0 : -1;  // EINVAL: not a memfd
  return (seals & kSeals) == kSeals ? 1 : 0;
}

}  // namespace tsrun
