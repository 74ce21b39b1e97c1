#!/bin/bash
# The systemd cgroup driver against a real systemd (pure cgroup v2, as run by `npm test` in its VM): N containers
# with --systemd-cgroup, each must come up in its transient scope with its memory limit written there, and
# leave no scope behind after delete; then one under tsrun's own shim whose OOM kill must be recorded; then a
# create naming a running container's unit, which must fail and leave that container running. TAP output, one
# line per check.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/systemd-in-ns.sh"
T=$repo/dist/tsrun
N=${TSRUN_SYSTEMD_RUNS:-10}
work=$(mktemp -d /tmp/tsrun-sd-XXXXXX)
B=$work/bundle R=$work/state
trap 'sd_stop; rm -rf "$work"' EXIT
echo "1..$((N + 2))"
if ! sd_start; then
  for i in $(seq "$((N + 2))"); do echo "not ok $i - systemd did not start"; done
  exit 1
fi
# tsrun in systemd's namespaces, bounded: a call that never returns fails its line instead of stalling the run.
rt() { sd_run timeout -k 5 120 "$T" "$@"; }
mkdir -p "$B" && "$repo/scripts/make-rootfs" "$B/rootfs" >/dev/null && "$T" spec --bundle "$B"
cfg() { # ID [ARGS as JSON]
  node -e '
    const fs = require("fs"); const p = process.argv[1]; const c = JSON.parse(fs.readFileSync(p, "utf8"));
    c.process.terminal = false; c.process.args = JSON.parse(process.argv[3] || "[\"sleep\", \"100\"]");
    c.linux.cgroupsPath = "system.slice:tsrun:" + process.argv[2];
    c.linux.resources = { memory: { limit: 33554432 } };
    fs.writeFileSync(p, JSON.stringify(c));' "$B/config.json" "$1" "${2:-}"
}
fails=0
for i in $(seq "$N"); do
  id=sd$i scope=/sys/fs/cgroup/system.slice/tsrun-sd$i.scope
  cfg "$id"
  # Files, not a pipe: the container inherits them and lives on.
  (cd "$B" && rt --shim never --systemd-cgroup --root "$R" run -d --bundle "$B" "$id" </dev/null >/dev/null 2>"$work/err")
  rc=$?
  [ "$rc" = 124 ] && { echo "run -d $id: no answer within 120 s" >&2; sd_diag; }
  err=$(cat "$work/err")
  pid=$(sd_run cat "$R/$id/state.json" 2>/dev/null | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
  mem=$(cat "$scope/memory.max" 2>/dev/null)
  procs=$(cat "$scope/cgroup.procs" 2>/dev/null | wc -l)
  rt --systemd-cgroup --root "$R" delete --force "$id" >/dev/null 2>"$work/derr"
  drc=$?
  [ "$drc" = 0 ] || { err="$err; delete --force: exit $drc: $(cat "$work/derr")"; [ "$drc" = 124 ] && sd_diag; }
  left=$([ -d "$scope" ] && echo yes || echo no)
  if [ "$rc" = 0 ] && [ -n "$pid" ] && [ "$mem" = 33554432 ] && [ "$procs" = 1 ] && [ "$left" = no ] && [ "$drc" = 0 ]; then
    echo "ok $i - $id in its scope with memory.max 33554432, scope gone after delete"
  else
    fails=$((fails + 1))
    echo "not ok $i - $id: exit $rc, memory.max '$mem', $procs process(es) in the scope, scope left: $left; $err"
  fi
done
# tsrun's own shim (nobody else supervises): an OOM kill in the unit's cgroup is recorded, though that cgroup comes
# into being only once the init exists, after the shim has started. 64 MiB kept (busybox tail keeps a line without
# a newline whole) under the 32 MiB limit.
i=$((N + 1)) id=sdoom
cfg "$id" '["sh", "-c", "head -c 67108864 /dev/zero | tail -n 1 >/dev/null"]'
(cd "$B" && rt --shim always --systemd-cgroup --root "$R" run -d --bundle "$B" "$id" </dev/null >/dev/null 2>"$work/err")
rc=$?
rt --root "$R" wait "$id" >/dev/null 2>>"$work/err"
wrc=$?
state=$(rt --root "$R" state "$id" 2>>"$work/err" | tr -d ' \n')
rt --systemd-cgroup --root "$R" delete --force "$id" >/dev/null 2>>"$work/err"
drc=$?
case "$state" in *'"oomKilled":true'*) oom=yes ;; *) oom=no ;; esac
if [ "$rc" = 0 ] && [ "$oom" = yes ] && [ "$drc" = 0 ]; then
  echo "ok $i - own shim: the OOM kill in the unit's cgroup is recorded (exit $wrc, oomKilled true)"
else
  fails=$((fails + 1))
  echo "not ok $i - own shim OOM: run -d exit $rc, wait exit $wrc, delete exit $drc, state $state; $(cat "$work/err")"
fi
# A second create naming the first one's unit (system.slice:tsrun:sdshared) is refused, and its clean-up must
# neither stop that unit nor kill the container in it.
i=$((N + 2))
cfg sdshared
(cd "$B" && rt --shim never --systemd-cgroup --root "$R" run -d --bundle "$B" sdA </dev/null >/dev/null 2>"$work/err")
arc=$?
apid=$(sd_run cat "$R/sdA/state.json" 2>/dev/null | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
(cd "$B" && rt --shim never --systemd-cgroup --root "$R" create --bundle "$B" sdB </dev/null >/dev/null 2>>"$work/err")
brc=$?
scope=/sys/fs/cgroup/system.slice/tsrun-sdshared.scope
alive=$(sd_run sh -c "[ -n '$apid' ] && kill -0 '$apid' 2>/dev/null && echo yes || echo no")
inscope=$(cat "$scope/cgroup.procs" 2>/dev/null | wc -l)
rt --systemd-cgroup --root "$R" delete --force sdB >/dev/null 2>&1
rt --systemd-cgroup --root "$R" delete --force sdA >/dev/null 2>>"$work/err"
drc=$?
if [ "$arc" = 0 ] && [ "$brc" = 1 ] && [ "$alive" = yes ] && [ "$inscope" = 1 ] && [ "$drc" = 0 ]; then
  echo "ok $i - a create naming a running container's unit fails; that container keeps running in its scope"
else
  fails=$((fails + 1))
  echo "not ok $i - shared unit: run -d exit $arc, second create exit $brc, first alive: $alive, $inscope process(es) in its scope, delete exit $drc; $(cat "$work/err")"
fi
exit $((fails > 0))
