// tsrun-test-payload: a static helper the integration tests copy into containers, for what busybox cannot do.
//   sd-notify MESSAGE   send MESSAGE as one datagram to $NOTIFY_SOCKET (sd_notify without libsystemd)
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

static int sd_notify(const char* message) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == 0) {
    std::fprintf(stderr, "sd-notify: NOTIFY_SOCKET is not set\n");
    return 2;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
  if (path[0] == '@') addr.sun_path[0] = 0;
  socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + std::strlen(path) + (path[0] == '@' ? 0 : 1));
  if (sendto(fd, message, std::strlen(message), 0, reinterpret_cast<struct sockaddr*>(&addr), len) < 0) {
    std::perror("sd-notify: sendto");
    return 1;
  }
  close(fd);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "sd-notify") == 0) return sd_notify(argv[2]);
  std::fprintf(stderr, "usage: %s sd-notify MESSAGE\n", argv[0]);
  return 2;
}
