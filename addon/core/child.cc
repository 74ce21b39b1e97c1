#include "child.h"

#include <linux/capability.h>
#include <linux/keyctl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <poll.h>
#include <grp.h>
#include <limits.h>
#include <termios.h>

#include "contract.h"
#include "sys.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef DEVPTS_SUPER_MAGIC
#define DEVPTS_SUPER_MAGIC 0x1cd1
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace tsrun {
namespace {

ChildCtx* g;  // the init's own copy of the context (set once, before anything can fail)
bool g_started = false;  // past start: nobody reads the sync socket any more
int64_t g_host_pid = 0;  // the init's pid as the runtime sees it (sent with the first CONTINUE)

void say(const char* s) { write_full(2, s, str_len(s)); }

[[noreturn]] void fail(int32_t step, int err, int32_t index = -1) {
  send_msg(g->sync_fd, Msg::ERROR, step, err, index);
  if (g_started) {
    // create has long returned: the container's stderr is the only place left to say why it ends here.
    char num[24];
    num[fmt_i64(num, err)] = 0;
    say("tsrun: container init failed after start: ");
    if (step == Step::HOOK && index >= 0) {
      say("startContainer hook ");
      say(g->plan->hooks[static_cast<size_t>(index)].path);
      say(err < 0 ? " failed, errno " : " failed, wait status ");
      if (err < 0) num[fmt_i64(num, -err)] = 0;
    } else {
      say(step == Step::EXEC ? "exec " : "step ");
      if (step == Step::EXEC) say(g->plan->argv[0]);
      say(", errno ");
    }
    say(num);
    say("\n");
  }
  _exit(step == Step::EXEC ? 127 : 1);
}

int open_in(const char* path, uint64_t oflags) {
  if (path[0] == 0) path = ".";
  return sys_openat2(g->root_fd, path, oflags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

// Creates the missing components of path inside the root, the last one a directory or (file) an empty file.
// Each name is created relative to its already-resolved parent, so a symlink can never lead outside the root;
// a dangling symlink on the way is followed the way openat2(RESOLVE_IN_ROOT) would, and its target created.
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

void wait_continue(int32_t step) {
  Msg16 m;
  int r = recv_msg(g->sync_fd, &m);
  if (r != 0) _exit(1);  // the launcher is gone: nobody to report to
  if (m.type != Msg::CONTINUE) fail(step, EPROTO);
  if (g_host_pid == 0) g_host_pid = m.a;
}

// Runs the hooks of one phase in the container's namespaces: each one a child with the state JSON on its
// stdin (a socket, so that a hook that does not read it cannot raise SIGPIPE here), waited for on its pidfd
// with its timeout. Any failure fails the container, as runc does.
// createContainer hooks are host binaries running in the container's namespaces, so /proc/<pid>/exe of one
// leads to a host file, as for runc; unlike the launcher's image (core/exe_seal.h) they are not sealed: that
// link is guarded by the same check as /proc/<pid>/root, still the host's root before pivot_root, and the
// hook has the init's whole capability set, so a process of a joined pid namespace that passes the check
// (all those capabilities or CAP_SYS_PTRACE, no user namespace) reaches every host file anyway. A hook given
// as a script would bring its host interpreter along too. startContainer hooks are the container's own files.
void run_hooks(uint32_t phase) {
  const Plan& p = *g->plan;
  const HookState* st = nullptr;
  for (const HookState& t : p.hook_states)
    if (t.phase == phase) st = &t;
  char pidbuf[24];
  size_t pidlen = fmt_u64(pidbuf, static_cast<uint64_t>(getpid()));
  for (size_t i = 0; i < p.hooks.size(); i++) {
    const PlanHook& h = p.hooks[i];
    if (h.phase != phase) continue;
    int32_t idx = static_cast<int32_t>(i);
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) fail(Step::HOOK, -errno, idx);
    int pidfd = -1;
    struct clone_args ca = {};
    ca.flags = CLONE_PIDFD;
    ca.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    ca.exit_signal = SIGCHLD;
    long pid = sys_clone3(&ca);
    if (pid < 0) fail(Step::HOOK, -errno, idx);
    if (pid == 0) {
      if (dup2(sp[1], 0) < 0) _exit(126);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      execve(h.path, const_cast<char* const*>(h.argv.data()), const_cast<char* const*>(h.envp.data()));
      _exit(127);
    }
    close(sp[1]);
    if (st != nullptr) {
      send(sp[0], st->before, str_len(st->before), MSG_NOSIGNAL);
      send(sp[0], pidbuf, pidlen, MSG_NOSIGNAL);
      send(sp[0], st->after, str_len(st->after), MSG_NOSIGNAL);
    }
    close(sp[0]);
    struct pollfd pfd = {pidfd, POLLIN, 0};
    int timeout = h.timeout > 0 ? static_cast<int>(h.timeout * 1000) : -1;
    int r;
    do r = poll(&pfd, 1, timeout);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      kill(static_cast<pid_t>(pid), SIGKILL);
      waitpid(static_cast<pid_t>(pid), nullptr, 0);
      fail(Step::HOOK, -ETIMEDOUT, idx);
    }
    int status = 0;
    if (waitpid(static_cast<pid_t>(pid), &status, 0) < 0) fail(Step::HOOK, -errno, idx);
    close(pidfd);
    if (status != 0) fail(Step::HOOK, status, idx);
  }
}

int open_host_fd_dir();

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

// capset(2) with the configured sets, plus `extra` kept in effective and permitted.
void capset_sets(const Plan& p, uint64_t extra) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  uint64_t eff = p.cap_effective | extra, perm = p.cap_permitted | extra;
  data[0].effective = static_cast<uint32_t>(eff);
  data[1].effective = static_cast<uint32_t>(eff >> 32);
  data[0].permitted = static_cast<uint32_t>(perm);
  data[1].permitted = static_cast<uint32_t>(perm >> 32);
  data[0].inheritable = static_cast<uint32_t>(p.cap_inheritable);
  data[1].inheritable = static_cast<uint32_t>(p.cap_inheritable >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0) fail(Step::CAPSET, errno);
}

void set_caps(const Plan& p, uint64_t extra) {
  capset_sets(p, extra);
  // Raising an ambient capability needs it permitted and inheritable; like runc, others are skipped.
  for (uint64_t c = 0; c <= p.cap_last && c < 64; c++)
    if (p.cap_ambient & (1ULL << c)) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
}

// Writes an LSM attribute of this task for its next execve, like runc: /proc/thread-self/attr/<lsm>/exec,
// or the older /proc/thread-self/attr/exec.
int set_exec_attr(const char* lsm_path, const char* old_path, const char* value) {
  int fd = open(lsm_path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) fd = open(old_path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = write_full(fd, value, str_len(value));
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

void apply_process_attrs(const Plan& p) {
  if (p.has_scheduler) {
    struct {
      uint32_t size, policy;
      uint64_t flags;
      int32_t nice;
      uint32_t priority;
      uint64_t runtime, deadline, period;
      uint32_t util_min, util_max;
    } attr = {};
    attr.size = sizeof(attr);
    attr.policy = static_cast<uint32_t>(p.sched[0]);
    attr.flags = p.sched[1];
    attr.nice = static_cast<int32_t>(p.sched[2]) - 20;
    attr.priority = static_cast<uint32_t>(p.sched[3]);
    attr.runtime = p.sched[4];
    attr.deadline = p.sched[5];
    attr.period = p.sched[6];
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) fail(Step::SCHEDULER, errno);
  }
  if (p.has_ioprio && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, static_cast<int>(p.ioprio)) < 0)
    fail(Step::IOPRIO, errno);
  if (p.has_personality && syscall(SYS_personality, static_cast<unsigned long>(p.personality)) < 0)
    fail(Step::PERSONALITY, errno);
}

// Hands the seccomp notify fd to the listener (runc's protocol): one message, the container's process state as
// JSON (with the pid the runtime sees) and the fd as SCM_RIGHTS.
void send_notify_fd(int nfd) {
  const Plan& p = *g->plan;
  if (g->listener_fd < 0) {
    close(nfd);
    return;
  }
  char pid[24];
  size_t plen = fmt_i64(pid, g_host_pid);
  struct iovec iov[5] = {
      {const_cast<char*>(p.listener_payload[0]), str_len(p.listener_payload[0])},
      {pid, plen},
      {const_cast<char*>(p.listener_payload[1]), str_len(p.listener_payload[1])},
      {pid, plen},
      {const_cast<char*>(p.listener_payload[2]), str_len(p.listener_payload[2])},
  };
  if (send_fd(g->listener_fd, iov, 5, nfd) < 0) fail(Step::SECCOMP_LISTENER, errno);
  close(nfd);
  close(g->listener_fd);
  g->listener_fd = -1;
}

// The container's /proc/self/fd, through which exec.fifo is reopened for writing from the O_PATH fd the
// launcher opened (as runc: the init never holds the state directory). /proc must be a procfs, and nothing
// may be mounted on the way below it (RESOLVE_NO_XDEV), so that a fake /proc cannot point the open elsewhere;
// reopen_fifo checks the file it gets is the very fifo. Opened before READY: a container whose /proc is not
// a procfs fails its create, not its start.
int fd_dir_of(int proc);
int open_fd_dir() { return fd_dir_of(open_in("/proc", O_PATH | O_DIRECTORY)); }

// Without a mount namespace the container only chroots into the rootfs, whose /proc is not mounted: the fds are
// then reached through the host's /proc, opened just before the chroot (the init shares the host's mounts
// anyway, so this exposes nothing it could not reach).
int open_host_fd_dir() { return fd_dir_of(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)); }

int fd_dir_of(int proc) {
  if (proc < 0) fail(Step::FIFO_REOPEN, errno, 0);
  struct statfs sf;
  if (fstatfs(proc, &sf) < 0) fail(Step::FIFO_REOPEN, errno, 0);
  if (sf.f_type != PROC_SUPER_MAGIC) fail(Step::FIFO_REOPEN, 0, 1);
  int fds = sys_openat2(proc, "self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC,
                        RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS);
  if (fds < 0) fail(Step::FIFO_REOPEN, errno, 0);
  close(proc);
  return fds;
}

// Blocks until `start` opens exec.fifo for reading. The fifo is the process user's (0600) and the open runs
// after setresuid; through the fd's magic link, no directory on the way is searched.
int reopen_fifo(int fd_dir, int path_fd) {
  char name[24];
  name[fmt_i64(name, path_fd)] = 0;
  int fifo = openat(fd_dir, name, O_WRONLY | O_CLOEXEC);
  if (fifo < 0) fail(Step::FIFO_WAIT, errno);
  close(fd_dir);
  struct stat want, got;
  if (fstat(path_fd, &want) < 0 || fstat(fifo, &got) < 0) fail(Step::FIFO_REOPEN, errno, 0);
  if (want.st_dev != got.st_dev || want.st_ino != got.st_ino || !S_ISFIFO(got.st_mode)) fail(Step::FIFO_REOPEN, 0, 2);
  close(path_fd);
  return fifo;
}

// exec.LookPath semantics over candidates prepared in advance: the first regular, executable file.
const char* lookup_exe(const Plan& p) {
  int err = ENOENT;
  for (const char* cand : p.exe) {
    struct stat st;
    if (stat(cand, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      err = EACCES;
      continue;
    }
    if (faccessat(AT_FDCWD, cand, X_OK, AT_EACCESS) < 0) {
      err = errno;
      continue;
    }
    return cand;
  }
  fail(Step::EXEC_LOOKUP, err);
}

}  // namespace

void run_child(ChildCtx* ctx) {
  g = ctx;
  const Plan& p = *ctx->plan;
  for (int fd : ctx->close_fds)
    if (fd >= 0) close(fd);

  // Node ignores SIGPIPE and an ignored signal survives execve: start from default dispositions.
  // The mask stays fully blocked (inherited from the launcher) until just before execve.
  // The raw syscall also reaches the signals glibc reserves for itself (32, 33), which its sigaction refuses.
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct {
      void (*handler)(int);
      unsigned long flags;
      void (*restorer)();
      uint64_t mask;
    } ksa = {SIG_DFL, 0, nullptr, 0};
    syscall(SYS_rt_sigaction, sig, &ksa, nullptr, sizeof(uint64_t));
  }
  umask(0);  // device nodes and mount points get exactly the modes of the plan

  wait_continue(Step::SYNC);  // id maps written, cgroups joined, runtime hooks run

  // Only now, inside its cgroup, so that the namespace's root is the container's own cgroup (as runc does).
  if ((p.process_flags & ProcessFlag::NEW_CGROUPNS) && unshare(CLONE_NEWCGROUP) < 0) fail(Step::CGROUPNS, errno);

  if (setsid() < 0) fail(Step::SETSID, errno);
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) fail(Step::SETUID_ROOT, errno);
  if ((p.process_flags & ProcessFlag::SETGROUPS) && setgroups(0, nullptr) < 0) fail(Step::SETGROUPS, errno);

  run_ops();

  if (ctx->tty_slave >= 0) {
    if (ioctl(ctx->tty_slave, TIOCSCTTY, 0) < 0) fail(Step::TTY, errno);
    for (int fd = 0; fd < 3; fd++)
      if (dup2(ctx->tty_slave, fd) < 0) fail(Step::TTY, errno);
    if (ctx->tty_slave > 2) close(ctx->tty_slave);
  }

  if ((p.process_flags & ProcessFlag::NEW_KEYRING) && p.keyring != nullptr) {
    long key = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p.keyring, 0, 0, 0);
    if (key < 0 && errno != ENOSYS) fail(Step::KEYRING, errno);
    // As runc: the new session keyring is searchable by its user (possessor all, user view/read/search/link).
    if (key >= 0 && syscall(SYS_keyctl, KEYCTL_SETPERM, key, 0x3f1b0000, 0, 0) < 0) fail(Step::KEYRING, errno);
  }

  for (size_t i = 0; i < p.rlimits.size(); i++) {
    struct rlimit rl = {p.rlimits[i].soft, p.rlimits[i].hard};
    if (setrlimit(static_cast<__rlimit_resource>(p.rlimits[i].resource), &rl) < 0)
      fail(Step::RLIMIT, errno, static_cast<int32_t>(i));
  }

  if ((p.process_flags & ProcessFlag::NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    fail(Step::NO_NEW_PRIVS, errno);

  apply_process_attrs(p);

  if (p.has_caps) {
    for (uint64_t c = 0; c <= p.cap_last && c < 64; c++)
      if (!(p.cap_bounding & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
        fail(Step::CAP_BOUNDING, errno, static_cast<int32_t>(c));
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail(Step::KEEPCAPS, errno);
  }
  if (p.process_flags & ProcessFlag::SETGROUPS) {
    if (setgroups(p.groups.size(), p.groups.data()) < 0) fail(Step::SETGROUPS, errno);
  }
  if (setresgid(static_cast<gid_t>(p.gid), static_cast<gid_t>(p.gid), static_cast<gid_t>(p.gid)) < 0)
    fail(Step::SETGID, errno);
  if (setresuid(static_cast<uid_t>(p.uid), static_cast<uid_t>(p.uid), static_cast<uid_t>(p.uid)) < 0)
    fail(Step::SETUID, errno);
  if (chdir(p.cwd) < 0) fail(Step::CHDIR, errno);
  // Loading a filter without no_new_privs needs CAP_SYS_ADMIN: keep it until the filter is in, then drop it.
  const uint64_t CAP_SYS_ADMIN_BIT = 1ULL << 21;
  bool seccomp = p.seccomp != nullptr && p.seccomp_len >= 8;
  uint64_t keep = (seccomp && !(p.process_flags & ProcessFlag::NO_NEW_PRIVS) && p.has_caps &&
                   !(p.cap_effective & CAP_SYS_ADMIN_BIT))
                      ? CAP_SYS_ADMIN_BIT
                      : 0;
  if (p.has_caps) {
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail(Step::KEEPCAPS, errno);
    set_caps(p, keep);
  }
  umask(p.umask == NO_UMASK ? 022 : static_cast<mode_t>(p.umask));

  if (p.apparmor != nullptr && p.apparmor[0] != 0) {
    char value[4096];
    size_t len = 0;
    value[0] = 0;
    if (!str_append(value, sizeof(value), &len, "exec ") || !str_append(value, sizeof(value), &len, p.apparmor))
      fail(Step::APPARMOR, ENAMETOOLONG);
    if (set_exec_attr("/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec", value) < 0)
      fail(Step::APPARMOR, errno);
  }
  if (p.selinux != nullptr && p.selinux[0] != 0 &&
      set_exec_attr("/proc/thread-self/attr/selinux/exec", "/proc/thread-self/attr/exec", p.selinux) < 0)
    fail(Step::SELINUX, errno);

  const char* exe = lookup_exe(p);

  int fd_dir = ctx->fifo_fd < 0 ? -1 : ctx->fd_dir >= 0 ? ctx->fd_dir : open_fd_dir();

  if (send_msg(ctx->sync_fd, Msg::READY) < 0) _exit(1);

  // Block until `start` opens the fifo for reading (an exec'd process has no fifo: it runs at once).
  if (ctx->fifo_fd >= 0) {
    int fifo = reopen_fifo(fd_dir, ctx->fifo_fd);
    if (write_full(fifo, "0", 1) < 0) fail(Step::FIFO_WAIT, errno);
    // Kept open (close-on-exec): `start` sees EOF once the user's program is executing (or the init is gone),
    // and only then runs the poststart hooks.
    (void)fifo;
    g_started = true;
    run_hooks(HookPhase::START_CONTAINER);
  }

  // Only stdio and the preserved fds reach the process.
  if (syscall(SYS_close_range, 3 + p.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail(Step::CLOSE_FDS, errno);

  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  // The filter goes in last: after it only the notify fd's hand-over, the final capset and execve run.
  if (seccomp) {
    struct {
      unsigned short len;
      const void* filter;
    } prog = {static_cast<unsigned short>(p.seccomp_len / 8), p.seccomp};
    long lfd = syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, p.seccomp_flags, &prog);
    if (lfd < 0) fail(Step::SECCOMP, errno);
    if (p.seccomp_flags & 8 /* SECCOMP_FILTER_FLAG_NEW_LISTENER */) send_notify_fd(static_cast<int>(lfd));
  }
  if (keep != 0) capset_sets(p, 0);

  execve(exe, const_cast<char* const*>(p.argv.data()), const_cast<char* const*>(p.envp.data()));
  int e = errno;
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  fail(Step::EXEC, e);
}

}  // namespace tsrun
