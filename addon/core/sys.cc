#include "sys.h"

#include <sys/socket.h>
#include <sys/uio.h>

namespace tsrun {

int read_full(int fd, void* buf, size_t n) {
  auto* p = static_cast<uint8_t*>(buf);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::read(fd, p + done, n - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) return 1;
    done += static_cast<size_t>(r);
  }
  return 0;
}

int write_full(int fd, const void* buf, size_t n) {
  const auto* p = static_cast<const uint8_t*>(buf);
  size_t done = 0;
  while (done < n) {
    // MSG_NOSIGNAL would need send(2); callers block SIGPIPE or ignore it, and EPIPE is reported.
    ssize_t r = ::write(fd, p + done, n - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += static_cast<size_t>(r);
  }
  return 0;
}

int send_msg(int fd, uint32_t type, int32_t a, int32_t b, int32_t c) {
  Msg16 m{type, a, b, c};
  // send(2) with MSG_NOSIGNAL: a vanished peer is EPIPE, never a SIGPIPE that would kill us.
  for (;;) {
    ssize_t r = ::send(fd, &m, sizeof(m), MSG_NOSIGNAL);
    if (r == static_cast<ssize_t>(sizeof(m))) return 0;
    if (r < 0 && errno == EINTR) continue;
    if (r >= 0) errno = EIO;
    return -1;
  }
}

int recv_msg(int fd, Msg16* m) { return read_full(fd, m, sizeof(*m)); }

int send_fd(int sock, struct iovec* iov, int iovcnt, int fd) {
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u = {};
  struct msghdr msg = {};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<size_t>(iovcnt);
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof(u.buf);
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  __builtin_memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  for (;;) {
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0) return 0;
    if (errno != EINTR) return -1;
  }
}

long recv_fd(int sock, char* buf, size_t len, int* fd) {
  struct iovec iov = {buf, len};
  union {
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.cbuf;
  msg.msg_controllen = sizeof(u.cbuf);
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  if (cm == nullptr || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
      cm->cmsg_len != CMSG_LEN(sizeof(int))) {
    errno = EPROTO;
    return -1;
  }
  __builtin_memcpy(fd, CMSG_DATA(cm), sizeof(int));
  return n;
}

size_t fmt_u64(char* out, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

size_t fmt_i64(char* out, int64_t v) {
  if (v < 0) {
    out[0] = '-';
    return 1 + fmt_u64(out + 1, static_cast<uint64_t>(-(v + 1)) + 1);
  }
  return fmt_u64(out, static_cast<uint64_t>(v));
}

size_t str_len(const char* s) {
  size_t n = 0;
  while (s[n] != 0) n++;
  return n;
}

bool str_append(char* dst, size_t cap, size_t* len, const char* src) {
  size_t n = str_len(src);
  if (*len + n + 1 > cap) return false;
  for (size_t i = 0; i < n; i++) dst[*len + i] = src[i];
  *len += n;
  dst[*len] = 0;
  return true;
}

const char* proc_fd_path(char* buf, int fd) {
  static const char prefix[] = "/proc/self/fd/";
  size_t n = 0;
  for (; prefix[n] != 0; n++) buf[n] = prefix[n];
  n += fmt_u64(buf + n, static_cast<uint64_t>(fd));
  buf[n] = 0;
  return buf;
}

}  // namespace tsrun
