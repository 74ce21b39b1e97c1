/** The prose of tsrun(8): what no single command's definition holds. */
export const MAIN_PAGE_TEXT = {
  description: `tsrun runs containers from OCI bundles (a directory with config.json and a root filesystem) with runc's command line, so that containerd, Docker, Podman, CRI-O and people at a shell can use it in place of runc. Engines call it as they call runc and supervise the container themselves; for a container nobody supervises, tsrun's own small shim keeps its output (tsrun logs, tsrun attach) and its exit status (tsrun wait).

A container's life: tsrun create prepares it and leaves its process waiting; tsrun start lets it run the program of config.json; tsrun kill signals it; tsrun delete removes it once stopped (tsrun delete --force kills it first). tsrun run does create and start at once, in the foreground or with --detach. tsrun exec runs one more process in a running container. tsrun state, list, ps and events show what is there.

Global options come before the command. Errors are written to stderr (and to --log, in text or JSON lines), and a failed command exits 1 (a failed exec 255) having left nothing behind.`,
  files: [
    ['/run/tsrun', 'the default state root (--root): one 0700 directory per container'],
    ['/var/log/tsrun', "output of containers kept by tsrun's shim (create/run --log-dir)"],
    ['BUNDLE/config.json', 'the container, as the OCI runtime specification describes it'],
  ] as [string, string][],
  environment: [
    ['NOTIFY_SOCKET', 'passed into the container as /run/notify/notify.sock; start returns once the container sent READY=1'],
    ['LISTEN_FDS, LISTEN_PID', 'socket activation: the fds from 3 on are passed to the container'],
    ['TSRUN_FRONT', '"js" makes every command run in the JavaScript implementation instead of the native front end'],
  ] as [string, string][],
  examples: [
    ['tsrun spec', 'write a default config.json here (the root filesystem goes in ./rootfs)'],
    ['tsrun run -d web && tsrun logs -f web', 'run a container in the background and follow its output'],
    ['tsrun exec -t web sh', 'a shell inside it'],
    ['tsrun kill web && tsrun delete web', 'stop it and remove it'],
  ] as [string, string][],
};
