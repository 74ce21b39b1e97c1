/*
 * The pod sandbox's process for the CRI tests (the role of Kubernetes' pause image): it holds the pod's
 * namespaces, reaps orphans that reach it as PID 1 of a shared PID namespace, and exits 0 on SIGINT or SIGTERM.
 * Built with `gcc -static` by test/cri's setup into a one-file image; nothing is downloaded.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && argv[1][0] == '-' && argv[1][1] == 'v') {
    printf("tsrun-test pause\n");
    return 0;
  }
  if (getpid() != 1) fprintf(stderr, "pause: warning: not PID 1\n");
  struct sigaction q = {.sa_handler = quit};
  struct sigaction r = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGINT, &q, NULL) < 0 || sigaction(SIGTERM, &q, NULL) < 0 || sigaction(SIGCHLD, &r, NULL) < 0) {
    perror("pause: sigaction");
    return 1;
  }
  for (;;) pause();
}
