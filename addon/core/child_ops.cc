// The filesystem-op interpreter of the init: mounts, masks, devices, the pivot, the terminal, in plan order.
#include "child_internal.h"

namespace tsrun {
namespace init {
namespace {

int mkpath(const char* path, bool file) {
  char buf[PATH_MAX];
  size_t len = 0;
  buf[0] = 0;
  if (!str_append(buf, sizeof(buf), &len, path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int parent = -1;
  size_t i = 0;
  int links = 0;
  auto bail = [&](int e) {
    if (parent >= 0) close(parent);
    errno = e;
    return -1;
  };
  for (;;) {
    while (buf[i] == '/') i++;
    if (buf[i] == 0) break;
    size_t start = i;
    while (buf[i] != 0 && buf[i] != '/') i++;
    char saved = buf[i];
    buf[i] = 0;
    size_t k = i + 1;
    if (saved != 0)
      while (buf[k] == '/') k++;
    bool last = saved == 0 || buf[k] == 0;
    int fd = open_in(buf, O_PATH);
    if (fd < 0 && errno == ENOENT) {
      int dirfd = parent >= 0 ? parent : g->root_fd;
      const char* name = buf + start;
      int r;
      if (last && file) {
        r = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (r >= 0) close(r);
      } else {
        r = mkdirat(dirfd, name, 0755);
      }
      if (r < 0 && errno != EEXIST) return bail(errno);
      fd = open_in(buf, O_PATH);
      if (fd < 0 && errno == ENOENT && r < 0) {
        // A dangling symlink: continue with its target (relative to where it is, or to the root).
        char link[PATH_MAX];
        ssize_t n = readlinkat(dirfd, name, link, sizeof(link) - 1);
        if (n < 0) return bail(errno);
        if (++links > 40) return bail(ELOOP);
        link[n] = 0;
        char next[PATH_MAX];
        size_t nlen = 0;
        next[0] = 0;
        buf[start] = 0;
        bool ok = (link[0] == '/' || str_append(next, sizeof(next), &nlen, buf)) &&
                  str_append(next, sizeof(next), &nlen, link) &&
                  (saved == 0 || (str_append(next, sizeof(next), &nlen, "/") &&
                                  str_append(next, sizeof(next), &nlen, buf + k)));
        if (!ok) return bail(ENAMETOOLONG);
        len = 0;
        buf[0] = 0;
        str_append(buf, sizeof(buf), &len, next);
        if (parent >= 0) close(parent);
        parent = -1;
        i = 0;
        continue;
      }
    }
    if (fd < 0) return bail(errno);
    if (parent >= 0) close(parent);
    parent = fd;
    buf[i] = saved;
    if (saved == 0) break;
  }
  if (parent >= 0) close(parent);
  return 0;
}

// O_PATH fd of an op target inside the root, created first if the op asks for it.
int resolve_target(const Op& op, int32_t index) {
  const char* path = op.s[1];
  uint64_t extra = (op.flags & OpFlag::NO_SYMLINK) ? O_NOFOLLOW : 0;
  int fd = open_in(path, O_PATH | extra);
  if (fd < 0 && errno == ENOENT && (op.flags & (OpFlag::MK_DIR | OpFlag::MK_FILE))) {
    if (mkpath(path, (op.flags & OpFlag::MK_FILE) != 0) < 0) fail(Step::OP_MKDIR, errno, index);
    fd = open_in(path, O_PATH | extra);
  }
  if (fd < 0) return -1;
  if (op.flags & OpFlag::NO_SYMLINK) {
    struct stat st;
    if (fstat(fd, &st) < 0) fail(Step::OP_RESOLVE, errno, index);
    if (S_ISLNK(st.st_mode)) fail(Step::OP_RESOLVE, ELOOP, index);
  }
  // Checked where the path led, not where it was written: a symlink of the rootfs must not aim a volume at
  // /proc (covering /proc/self/attr and the like; runc's checkProcMount, CVE-2019-19921).
  if (!(op.flags & OpFlag::PROC_ALLOWED)) {
    struct statfs sf;
    if (fstatfs(fd, &sf) < 0) fail(Step::OP_RESOLVE, errno, index);
    if (sf.f_type == 0x9fa0 /* PROC_SUPER_MAGIC */) fail(Step::OP_IN_PROC, EPERM, index);
  }
  return fd;
}

// Splits path into its parent directory (resolved, created if missing) and its last name.
// Returns the parent fd (the root fd itself when path has no directory part; do not close it then).
int parent_of(const char* path, char* buf, size_t cap, const char** base, bool create, int32_t index) {
  size_t len = 0;
  buf[0] = 0;
  if (!str_append(buf, cap, &len, path)) fail(Step::OP_RESOLVE, ENAMETOOLONG, index);
  while (len > 1 && buf[len - 1] == '/') buf[--len] = 0;
  size_t slash = len;
  while (slash > 0 && buf[slash - 1] != '/') slash--;
  *base = buf + slash;
  if (slash == 0) return g->root_fd;
  buf[slash - 1] = 0;
  if (buf[0] == 0) return g->root_fd;
  if (create && mkpath(buf, false) < 0) fail(Step::OP_MKDIR, errno, index);
  return open_in(buf, O_PATH | O_DIRECTORY);
}

// MS_REMOUNT keeping the flags the kernel locks in a user namespace (nosuid, nodev, noexec, atime).
int remount(const char* target, unsigned long flags) {
  if (mount(nullptr, target, nullptr, flags, nullptr) == 0) return 0;
  if (errno != EPERM) return -1;
  struct statfs sf;
  if (statfs(target, &sf) < 0) return -1;
  unsigned long locked = static_cast<unsigned long>(sf.f_flags) &
                         (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
  return mount(nullptr, target, nullptr, flags | locked, nullptr);
}

void set_rec_attrs(int dfd, const char* path, uint64_t attrs, int32_t index);

void op_mount(const Op& op, int32_t index) {
  const char* src = op.s[0][0] ? op.s[0] : nullptr;
  const char* type = op.s[2][0] ? op.s[2] : nullptr;
  const char* data = op.s[3][0] ? op.s[3] : nullptr;
  char srcbuf[32], tgtbuf[32];
  int srcfd = -1;
  if ((op.flags & OpFlag::SRC_IN_ROOT) && src) {
    srcfd = open_in(src, O_PATH);
    if (srcfd < 0) {
      if (errno == ENOENT && (op.flags & OpFlag::OPTIONAL)) return;
      fail(Step::OP_SOURCE, errno, index);
    }
    src = proc_fd_path(srcbuf, srcfd);
  }
  bool host = (op.flags & OpFlag::TGT_HOST) != 0;
  int tfd = -1;
  const char* tgt = op.s[1];
  if (!host) {
    tfd = resolve_target(op, index);
    if (tfd < 0) {
      if (errno == ENOENT && (op.flags & OpFlag::OPTIONAL)) {
        if (srcfd >= 0) close(srcfd);
        return;
      }
      fail(Step::OP_RESOLVE, errno, index);
    }
    tgt = proc_fd_path(tgtbuf, tfd);
  }
  if (op.a != 0 || src != nullptr || type != nullptr) {
    if (mount(src, tgt, type, op.a, data) < 0) fail(Step::OP_MOUNT, errno, index);
  }
  if (srcfd >= 0) close(srcfd);
  // The old fd names the covered mount point: reopen so remount and propagation act on the new mount.
  auto reopen = [&]() {
    if (host) return;
    close(tfd);
    tfd = open_in(op.s[1], O_PATH);
    if (tfd < 0) fail(Step::OP_RESOLVE, errno, index);
    tgt = proc_fd_path(tgtbuf, tfd);
  };
  if (op.b != 0) {
    reopen();
    if (remount(tgt, op.b | MS_BIND | MS_REMOUNT) < 0) fail(Step::OP_REMOUNT, errno, index);
  }
  if (op.c != 0) {
    reopen();
    if (mount(nullptr, tgt, nullptr, op.c, nullptr) < 0) fail(Step::OP_PROPAGATION, errno, index);
  }
  if (op.d != 0) {
    reopen();
    set_rec_attrs(host ? AT_FDCWD : tfd, host ? tgt : "", op.d, index);
  }
  if (tfd >= 0) close(tfd);
}

// Attach a detached, idmapped mount tree the launcher prepared (only the initial user namespace may idmap
// a host filesystem), then apply propagation and recursive attributes.
void op_idmap_bind(const Op& op, int32_t index) {
  const Plan& p = *g->plan;
  if (op.b >= p.idmap_fds.size() || p.idmap_fds[op.b] < 0) fail(Step::OP_MOVE_MOUNT, EBADF, index);
  int tfd = resolve_target(op, index);
  if (tfd < 0) fail(Step::OP_RESOLVE, errno, index);
  if (sys_move_mount(p.idmap_fds[op.b], "", tfd, "", TS_MOVE_MOUNT_F_EMPTY_PATH | TS_MOVE_MOUNT_T_EMPTY_PATH) < 0)
    fail(Step::OP_MOVE_MOUNT, errno, index);
  close(tfd);
  if (op.c != 0 || op.d != 0) {
    tfd = open_in(op.s[1], O_PATH);
    if (tfd < 0) fail(Step::OP_RESOLVE, errno, index);
    char buf[32];
    if (op.c != 0 && mount(nullptr, proc_fd_path(buf, tfd), nullptr, op.c, nullptr) < 0)
      fail(Step::OP_PROPAGATION, errno, index);
    if (op.d != 0) set_rec_attrs(tfd, "", op.d, index);
    close(tfd);
  }
}

void set_rec_attrs(int dfd, const char* path, uint64_t attrs, int32_t index) {
  MountAttr attr = {attrs & 0xffffffff, attrs >> 32, 0, 0};
  unsigned flags = TS_AT_RECURSIVE | (path[0] == 0 ? TS_AT_EMPTY_PATH : 0);
  if (sys_mount_setattr(dfd, path, flags, &attr) < 0) fail(Step::OP_SETATTR, errno, index);
}

// The rootfs's own mount must not be shared before it is bound on itself (the copy would reach the host's
// peers) nor when pivot_root runs: set the propagation of the mount it is on, walking up from s1 past
// paths that are not mount points (EINVAL).
void op_parent_propagation(const Op& op, int32_t index) {
  char buf[PATH_MAX];
  size_t len = 0;
  buf[0] = 0;
  if (!str_append(buf, sizeof(buf), &len, op.s[0])) fail(Step::OP_PROPAGATION, ENAMETOOLONG, index);
  for (;;) {
    if (mount(nullptr, buf, nullptr, op.a, nullptr) == 0) return;
    if (errno != EINVAL || (len == 1 && buf[0] == '/')) fail(Step::OP_PROPAGATION, errno, index);
    while (len > 1 && buf[len - 1] != '/') len--;
    if (len > 1) len--;  // drop the slash too, except the root's
    buf[len] = 0;
  }
}

void op_open_root(const Op& op, int32_t index) {
  int fd = open(op.s[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(Step::OP_OPEN_ROOT, errno, index);
  if (g->root_fd >= 0) close(g->root_fd);
  g->root_fd = fd;
}

void op_pivot(const Op& op, int32_t index) {
  if (fchdir(g->root_fd) < 0) fail(Step::OP_PIVOT, errno, index);
  if (op.flags & OpFlag::NO_PIVOT) {
    if (mount(".", "/", nullptr, MS_MOVE, nullptr) < 0) fail(Step::OP_PIVOT, errno, index);
    if (chroot(".") < 0) fail(Step::OP_PIVOT, errno, index);
  } else {
    // pivot_root(".", ".") stacks the old root on the new one at "/"; cwd and root stay on the new root, so
    // no fd or cwd of the host's root is ever held (runc fchdirs into an fd of the old root instead). From
    // the new root, ".." follows the mounts stacked on it to the old root: make that tree a slave, so that
    // detaching it does not propagate unmounts to the host, then detach it ("." in umount2 resolves to the
    // topmost mount too).
    if (sys_pivot_root(".", ".") < 0) fail(Step::OP_PIVOT, errno, index);
    if (mount(nullptr, "..", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) fail(Step::OP_PIVOT, errno, index);
    if (umount2(".", MNT_DETACH) < 0) fail(Step::OP_PIVOT, errno, index);
  }
  if (chdir("/") < 0) fail(Step::OP_PIVOT, errno, index);
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(Step::OP_PIVOT, errno, index);
  close(g->root_fd);
  g->root_fd = fd;
}

void op_mknod(const Op& op, int32_t index) {
  char buf[PATH_MAX];
  const char* base;
  int dfd = parent_of(op.s[0], buf, sizeof(buf), &base, true, index);
  if (dfd < 0) fail(Step::OP_RESOLVE, errno, index);
  dev_t dev = makedev(static_cast<unsigned>(op.b), static_cast<unsigned>(op.c));
  if (mknodat(dfd, base, static_cast<mode_t>(op.a), dev) < 0) {
    if (errno != EEXIST) fail(Step::OP_MKNOD, errno, index);
  } else {
    uid_t uid = static_cast<uid_t>(op.d >> 32);
    gid_t gid = static_cast<gid_t>(op.d & 0xffffffff);
    if (fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) fail(Step::OP_CHOWN, errno, index);
  }
  if (dfd != g->root_fd) close(dfd);
}

void op_symlink(const Op& op, int32_t index) {
  char buf[PATH_MAX];
  const char* base;
  int dfd = parent_of(op.s[1], buf, sizeof(buf), &base, true, index);
  if (dfd < 0) fail(Step::OP_RESOLVE, errno, index);
  if (symlinkat(op.s[0], dfd, base) < 0 && errno != EEXIST) fail(Step::OP_SYMLINK, errno, index);
  if (dfd != g->root_fd) close(dfd);
}

void op_unlink(const Op& op, int32_t index) {
  char buf[PATH_MAX];
  const char* base;
  int dfd = parent_of(op.s[0], buf, sizeof(buf), &base, false, index);
  if (dfd < 0) {
    if (errno == ENOENT) return;
    fail(Step::OP_RESOLVE, errno, index);
  }
  if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT) fail(Step::OP_UNLINK, errno, index);
  if (dfd != g->root_fd) close(dfd);
}

// Binds the file behind src on the file behind dst by fd alone (a detached copy of src moved onto dst): no
// path, so nothing in the container's /proc can redirect it.
int bind_fd(int src, int dst) {
  int tree = sys_open_tree(src, "", TS_OPEN_TREE_CLONE | TS_AT_EMPTY_PATH | O_CLOEXEC);
  if (tree < 0) return -1;
  int r = sys_move_mount(tree, "", dst, "", TS_MOVE_MOUNT_F_EMPTY_PATH | TS_MOVE_MOUNT_T_EMPTY_PATH);
  int e = errno;
  close(tree);
  errno = e;
  return r;
}

// The container's /dev/null, opened once, inside the root, following no symlink, and checked to be the null
// device (1:3): anything else the rootfs put there would be bound on every masked path (errno 0: not it).
int null_device(int32_t index) {
  if (g->null_fd >= 0) return g->null_fd;
  int fd = sys_openat2(g->root_fd, "/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
  if (fd < 0) fail(Step::OP_NULL_DEVICE, errno, index);
  struct stat st;
  if (fstat(fd, &st) < 0) fail(Step::OP_NULL_DEVICE, errno, index);
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) fail(Step::OP_NULL_DEVICE, 0, index);
  g->null_fd = fd;
  return fd;
}

void op_mask(const Op& op, int32_t index) {
  int fd = open_in(op.s[0], O_PATH);
  if (fd < 0) {
    if (errno == ENOENT) return;
    fail(Step::OP_MASK, errno, index);
  }
  struct stat st;
  if (fstat(fd, &st) < 0) fail(Step::OP_MASK, errno, index);
  if (S_ISDIR(st.st_mode)) {
    char tgtbuf[32];
    if (mount("tmpfs", proc_fd_path(tgtbuf, fd), "tmpfs", MS_RDONLY, nullptr) < 0) fail(Step::OP_MASK, errno, index);
  } else {
    if (bind_fd(null_device(index), fd) < 0) fail(Step::OP_MASK, errno, index);
  }
  close(fd);
}

void op_readonly(const Op& op, int32_t index) {
  int fd = open_in(op.s[0], O_PATH);
  if (fd < 0) {
    if (errno == ENOENT) return;
    fail(Step::OP_READONLY, errno, index);
  }
  char buf[32];
  const char* p = proc_fd_path(buf, fd);
  if (mount(p, p, nullptr, MS_BIND | MS_REC, nullptr) < 0) fail(Step::OP_READONLY, errno, index);
  close(fd);
  fd = open_in(op.s[0], O_PATH);
  if (fd < 0) fail(Step::OP_READONLY, errno, index);
  p = proc_fd_path(buf, fd);
  if (remount(p, MS_BIND | MS_REMOUNT | MS_RDONLY) < 0) fail(Step::OP_READONLY, errno, index);
  close(fd);
}

void op_remount_ro(const Op& op, int32_t index) {
  int fd = open_in(op.s[0], O_PATH);
  if (fd < 0) fail(Step::OP_REMOUNT, errno, index);
  char buf[32];
  if (remount(proc_fd_path(buf, fd), op.a | MS_BIND | MS_REMOUNT | MS_RDONLY) < 0) fail(Step::OP_REMOUNT, errno, index);
  close(fd);
}

void op_sysctl(const Op& op, int32_t index) {
  int fd = open_in(op.s[0], O_WRONLY | O_TRUNC);
  if (fd < 0) fail(Step::OP_SYSCTL, errno, index);
  if (write_full(fd, op.s[1], str_len(op.s[1])) < 0) fail(Step::OP_SYSCTL, errno, index);
  close(fd);
}

// Where the console is bound: /dev/console of the container, reached without any symlink (one there, or on
// the way, could point the pty's bind at a sysctl or any file of /proc), a regular file or a character device;
// created as an empty file if missing. Errno 0: neither a regular file nor a character device.
int console_target(const char* path, int32_t index) {
  char buf[PATH_MAX];
  size_t len = 0;
  buf[0] = 0;
  if (!str_append(buf, sizeof(buf), &len, path)) fail(Step::OP_CONSOLE_TARGET, ENAMETOOLONG, index);
  size_t slash = len;
  while (slash > 0 && buf[slash - 1] != '/') slash--;
  const char* base = buf + slash;
  if (slash > 0) buf[slash - 1] = 0;
  const uint64_t strict = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS;
  int dfd = sys_openat2(g->root_fd, slash > 1 ? buf : "/", O_PATH | O_DIRECTORY | O_CLOEXEC, strict);
  if (dfd < 0) fail(Step::OP_CONSOLE_TARGET, errno, index);
  int fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    int c = openat(dfd, base, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
    if (c < 0) fail(Step::OP_CONSOLE_TARGET, errno, index);
    close(c);
    fd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) fail(Step::OP_CONSOLE_TARGET, errno, index);
  close(dfd);
  struct stat st;
  if (fstat(fd, &st) < 0) fail(Step::OP_CONSOLE_TARGET, errno, index);
  if (S_ISLNK(st.st_mode)) fail(Step::OP_CONSOLE_TARGET, ELOOP, index);
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) fail(Step::OP_CONSOLE_TARGET, 0, index);
  return fd;
}

// The pty multiplexer must be devpts's own (a pty master whose number TIOCGPTN gives): checked on an O_PATH fd
// before it is opened for real (opening some other device can have effects), and on the opened master again.
int open_ptmx(const char* path, int32_t index) {
  struct statfs sf;
  struct stat st;
  int probe = open_in(path, O_PATH);
  if (probe < 0) fail(Step::OP_CONSOLE, errno, index);
  if (fstatfs(probe, &sf) < 0 || fstat(probe, &st) < 0) fail(Step::OP_PTMX, errno, index);
  if (sf.f_type != DEVPTS_SUPER_MAGIC || !S_ISCHR(st.st_mode)) fail(Step::OP_PTMX, 0, index);
  close(probe);
  int master = open_in(path, O_RDWR | O_NOCTTY);
  if (master < 0) fail(Step::OP_CONSOLE, errno, index);
  unsigned ptn = 0;
  if (fstatfs(master, &sf) < 0) fail(Step::OP_PTMX, errno, index);
  if (sf.f_type != DEVPTS_SUPER_MAGIC || ioctl(master, TIOCGPTN, &ptn) < 0) fail(Step::OP_PTMX, 0, index);
  return master;
}

// Allocates the container's terminal from its own devpts, binds the slave on /dev/console and hands the
// master to whoever supervises the container (the caller's console socket, or the foreground launcher).
void op_console(const Op& op, int32_t index) {
  int master = open_ptmx(op.s[0], index);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail(Step::OP_CONSOLE, errno, index);
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) fail(Step::OP_CONSOLE, errno, index);
  const Plan& p = *g->plan;
  if (p.console_rows != 0 || p.console_cols != 0) {
    struct winsize ws = {};
    ws.ws_row = static_cast<unsigned short>(p.console_rows);
    ws.ws_col = static_cast<unsigned short>(p.console_cols);
    if (ioctl(master, TIOCSWINSZ, &ws) < 0) fail(Step::OP_CONSOLE, errno, index);
  }
  if (op.s[2][0] != 0) {
    int tfd = console_target(op.s[2], index);
    if (bind_fd(slave, tfd) < 0) fail(Step::OP_CONSOLE, errno, index);
    close(tfd);
  }
  // One message, as runc sends it: the master's file name as payload (receivers need it non-empty) and
  // exactly one fd.
  struct iovec iov = {const_cast<char*>(op.s[0]), str_len(op.s[0])};
  if (g->console_fd < 0) fail(Step::OP_CONSOLE_SEND, EBADF, index);
  if (send_fd(g->console_fd, &iov, 1, master) < 0) fail(Step::OP_CONSOLE_SEND, errno, index);
  close(master);
  close(g->console_fd);
  g->console_fd = -1;
  g->tty_slave = slave;
}
}  // namespace

int open_in(const char* path, uint64_t oflags) {
  if (path[0] == 0) path = ".";
  return sys_openat2(g->root_fd, path, oflags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

// Creates the missing components of path inside the root, the last one a directory or (file) an empty file.
// Each name is created relative to its already-resolved parent, so a symlink can never lead outside the root;
// a dangling symlink on the way is followed the way openat2(RESOLVE_IN_ROOT) would, and its target created.

void run_ops() {
  const Plan& p = *g->plan;
  for (size_t i = 0; i < p.ops.size(); i++) {
    const Op& op = p.ops[i];
    int32_t idx = static_cast<int32_t>(i);
    switch (op.kind) {
      case OpKind::MOUNT: op_mount(op, idx); break;
      case OpKind::OPEN_ROOT: op_open_root(op, idx); break;
      case OpKind::MKNOD: op_mknod(op, idx); break;
      case OpKind::SYMLINK: op_symlink(op, idx); break;
      case OpKind::UNLINK: op_unlink(op, idx); break;
      case OpKind::PIVOT: op_pivot(op, idx); break;
      case OpKind::CHROOT:
        if (g->fifo_fd >= 0 && g->fd_dir < 0) g->fd_dir = open_host_fd_dir();
        if (fchdir(g->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0) fail(Step::OP_CHROOT, errno, idx);
        break;
      case OpKind::MASK: op_mask(op, idx); break;
      case OpKind::READONLY: op_readonly(op, idx); break;
      case OpKind::REMOUNT_RO: op_remount_ro(op, idx); break;
      case OpKind::SYSCTL: op_sysctl(op, idx); break;
      case OpKind::HOSTNAME:
        if (sethostname(op.s[0], str_len(op.s[0])) < 0) fail(Step::OP_HOSTNAME, errno, idx);
        break;
      case OpKind::DOMAINNAME:
        if (setdomainname(op.s[0], str_len(op.s[0])) < 0) fail(Step::OP_DOMAINNAME, errno, idx);
        break;
      case OpKind::CONSOLE: op_console(op, idx); break;
      case OpKind::SYNC:
        if (send_msg(g->sync_fd, Msg::SYNC, static_cast<int32_t>(op.a)) < 0) fail(Step::OP_SYNC, errno, idx);
        wait_continue(Step::OP_SYNC);
        break;
      case OpKind::MKDIR:
        if (mkpath(op.s[0], false) < 0) fail(Step::OP_MKDIR, errno, idx);
        break;
      case OpKind::HOOKS: run_hooks(static_cast<uint32_t>(op.a)); break;
      case OpKind::IDMAP_BIND: op_idmap_bind(op, idx); break;
      case OpKind::PARENT_PROPAGATION: op_parent_propagation(op, idx); break;
      default: fail(Step::PLAN, EINVAL, idx);
    }
  }
}


}  // namespace init
}  // namespace tsrun
