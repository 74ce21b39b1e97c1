# Real systemd (the Debian package's) as PID 1 of new pid+mount+uts namespaces with its own system D-Bus: enough
# of a systemd host for the cgroup driver, inside a VM or on a machine whose PID 1 is not systemd. Sourced.
#   sd_start         start it; waits (bounded) until org.freedesktop.systemd1 answers on the system bus; on
#                    failure says why on stderr (systemd's own log lines from kmsg, the processes it runs)
#                    $SD_EXTRA_UNITS: more of /lib/systemd/system's units to make loadable (e.g. user@.service)
#   sd_run CMD...    run CMD in systemd's pid and mount namespaces (pids given to systemd must be its own)
#   sd_stop          kill it (and everything in its pid namespace) and remove what it left
sd_start() {
  local units=/run/tsrun-sd-units empty=/run/tsrun-sd-empty i
  mkdir -p $units $empty
  # Only these units are loadable and no generator runs: seconds instead of a full boot under emulation.
  { cat /lib/systemd/system/dbus.socket; printf '[Unit]\nDefaultDependencies=no\n'; } >$units/dbus.socket
  { cat /lib/systemd/system/dbus.service; printf '[Unit]\nDefaultDependencies=no\n'; } >$units/dbus.service
  printf '[Unit]\nDefaultDependencies=no\nWants=dbus.socket dbus.service\n' >$units/tsrun-test.target
  for i in ${SD_EXTRA_UNITS:-}; do
    { cat "/lib/systemd/system/$i"; printf '[Unit]\nDefaultDependencies=no\n'; } >"$units/$i" || return 1
  done
  unshare --pid --fork --mount --mount-proc --uts --kill-child \
    env -i container=tsrun-test PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    SYSTEMD_UNIT_PATH=$units SYSTEMD_GENERATOR_PATH=$empty SYSTEMD_ENVIRONMENT_GENERATOR_PATH=$empty \
    /lib/systemd/systemd --system --unit=tsrun-test.target --log-target=kmsg --show-status=no </dev/null >/tmp/tsrun-sd.out 2>&1 &
  SD_UNSHARE=$!
  for i in $(seq 200); do
    SD_PID=$(cut -d' ' -f1 /proc/$SD_UNSHARE/task/$SD_UNSHARE/children 2>/dev/null)
    [ -n "$SD_PID" ] && break
    sleep 0.05
  done
  [ -n "$SD_PID" ] || { echo "sd_start: systemd was not started" >&2; return 1; }
  # Bounded in time, each query too: a bus that accepts but never answers must not stall the test.
  local deadline=$((SECONDS + 120))
  while [ "$SECONDS" -lt "$deadline" ]; do
    timeout -k 2 10 busctl --system --timeout=5 status org.freedesktop.systemd1 >/dev/null 2>&1 && return 0
    kill -0 "$SD_PID" 2>/dev/null || { echo "sd_start: systemd exited" >&2; sd_diag; return 1; }
    sleep 0.1
  done
  echo "sd_start: org.freedesktop.systemd1 did not answer on the system bus within 120 s" >&2
  sd_diag
  return 1
}
# What systemd logged (to kmsg) and what runs in its namespace: for a failure's message.
sd_diag() {
  { echo "--- systemd's log (kmsg, last 30 lines)"; dmesg 2>/dev/null | grep -E 'systemd\[|dbus' | tail -30
    echo "--- processes in its namespace"; [ -n "${SD_PID:-}" ] && nsenter -t "$SD_PID" -p -m -- ps -eo pid,ppid,stat,wchan:24,args 2>&1 | head -40
  } >&2
}
sd_run() { nsenter -t "$SD_PID" -m -p --wd="$PWD" -- "$@"; }
sd_stop() {
  # systemd (unshare then exits with it), or unshare itself where systemd was never found under it.
  if [ -n "${SD_PID:-}" ]; then kill -KILL "$SD_PID" 2>/dev/null; else kill -KILL "${SD_UNSHARE:-}" 2>/dev/null; fi
  [ -n "${SD_UNSHARE:-}" ] && wait "$SD_UNSHARE" 2>/dev/null
  find /sys/fs/cgroup/system.slice /sys/fs/cgroup/user.slice /sys/fs/cgroup/init.scope -depth -type d -exec rmdir {} \; 2>/dev/null
  rm -rf /run/dbus/system_bus_socket /run/systemd /run/tsrun-sd-units /run/tsrun-sd-empty
  return 0
}
