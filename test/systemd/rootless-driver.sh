#!/bin/bash
# Rootless cgroups against a real systemd (pure cgroup v2, as run by `npm test` in its VM), as an ordinary user
# made for the test: with --systemd-cgroup the container's cgroup is a transient scope of the USER's systemd
# manager (user@UID.service, reached on the user's D-Bus); without it, a cgroup directory delegated to the user
# (as Delegate=yes makes one) holds the container and keeps its limits; a root-owned place holds nothing: the
# container runs in the caller's cgroup, and limits are refused. TAP output, one line per check.
#   RUNTIME=${TSRUN_RUNTIME:-dist/tsrun} (e.g. TSRUN_RUNTIME=/usr/sbin/runc to hold the test to runc)
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/systemd-in-ns.sh"
RUNTIME=${TSRUN_RUNTIME:-$repo/dist/tsrun}
N=8
user=tsrun-sdu
LIMIT=33554432 # 32 MiB
CG=/sys/fs/cgroup
DELEG=$CG/tsrun-sdu-deleg # delegated to the user: its shell in DELEG/shell, containers beside it
PLAIN=$CG/tsrun-sdu-plain # root's: the user's shell in PLAIN/shell, nothing delegated
work=$(mktemp -d /tmp/tsrun-sdu-XXXXXX)
B=$work/bundle
uid='' SD_PID='' SD_UNSHARE=''

cleanup() {
  # Containers left by a failed check die with systemd's pid namespace.
  [ -n "$SD_UNSHARE" ] && sd_stop
  for d in "$DELEG" "$PLAIN"; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
  [ -n "$uid" ] && userdel -r "$user" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

echo "1..$N"
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
bail() { # the rest cannot run
  notok "$*"
  while [ "$n" -lt "$N" ]; do notok "not run"; done
  exit 1
}

[ "$(stat -fc %T $CG)" = cgroup2fs ] || bail "$CG is not cgroup2: run it in the pure cgroup v2 VM (npm test does)"

# --- the user, its systemd manager and bus -------------------------------------------------------------------
userdel -r "$user" >/dev/null 2>&1
useradd -m -U -s /bin/sh "$user" || bail "useradd $user"
uid=$(id -u "$user") gid=$(id -g "$user")
run_dir=/run/user/$uid
SD_EXTRA_UNITS="user.slice user@.service user-runtime-dir@.service"
# pam_systemd gives the user's manager XDG_RUNTIME_DIR only where logind runs; here the unit does.
mkdir -p "/run/tsrun-sd-units/user@.service.d"
printf '[Service]\nEnvironment=XDG_RUNTIME_DIR=/run/user/%%i\n' >"/run/tsrun-sd-units/user@.service.d/no-logind.conf"
sd_start || bail "systemd did not start"
# As a login's pam_systemd would (logind is not here): user-runtime-dir@ mounts /run/user/UID, the user's
# manager then starts its dbus.socket there.
timeout 120 nsenter -t "$SD_PID" -m -p -- systemctl start "user@$uid.service" >"$work/err" 2>&1
for i in $(seq 300); do
  sd_run test -S "$run_dir/bus" && break
  sleep 0.1
done
mgr=$(sd_run systemctl show -P ControlGroup "user@$uid.service" 2>/dev/null)
if sd_run test -S "$run_dir/bus" && [ "$mgr" = "/user.slice/user-$uid.slice/user@$uid.service" ]; then
  ok "user@$uid.service runs in $mgr, its bus at $run_dir/bus"
else
  bail "user@$uid.service: cgroup '$mgr', bus: $(sd_run ls -l "$run_dir" 2>&1); $(cat "$work/err"); $(sd_run systemctl status "user@$uid.service" 2>&1 | tail -5)"
fi

# as_user CGROUPDIR CMD...: CMD as the user (its own environment, as a login gives it), started in CGROUPDIR.
as_user() {
  local cg=$1
  shift
  (cd "$work" && timeout 120 nsenter -t "$SD_PID" -m -p --wd="$work" -- sh -c 'echo 0 >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
    setpriv --reuid="$uid" --regid="$gid" --init-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="/home/$user" USER="$user" LOGNAME="$user" \
    XDG_RUNTIME_DIR="$run_dir" DBUS_SESSION_BUS_ADDRESS="unix:path=$run_dir/bus" "$@")
}
# The user's own bundle: `tsrun spec --rootless` as the user maps its uid and gid to root.
mkdir -p "$B" && "$repo/scripts/make-rootfs" "$B/rootfs" >/dev/null && chown -R "$uid:$gid" "$work" || bail "bundle"
mkdir -p "$PLAIN/shell" || bail "mkdir $PLAIN/shell"
as_user "$PLAIN/shell" "$repo/dist/tsrun" spec --rootless --bundle "$B" || bail "tsrun spec --rootless as $user"
cp "$B/config.json" "$work/config.orig.json"
# cfg CGROUPSPATH LIMIT ARGS...: the bundle's config ("" for no cgroupsPath, 0 for no memory limit).
cfg() {
  node -e '
    const fs = require("fs"); const [p, orig, cgPath, limit, ...args] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(orig, "utf8"));
    c.process.terminal = false; c.process.args = args;
    if (cgPath) c.linux.cgroupsPath = cgPath;
    if (Number(limit)) c.linux.resources = { memory: { limit: Number(limit) } };
    fs.writeFileSync(p, JSON.stringify(c));' "$B/config.json" "$work/config.orig.json" "$@"
}
# What the user's state directories (runc's and tsrun's default roots) hold of container $1.
leftover() { sd_run sh -c 'ls -d "$1"/*/"$2" 2>/dev/null' sh "$run_dir" "$1"; }
state_pid() { as_user "$PLAIN/shell" "$RUNTIME" state "$1" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'; }

# --- the user's systemd: a transient scope under user@UID.service ---------------------------------------------
id=sdu1 scope=$CG/user.slice/user-$uid.slice/user@$uid.service/user.slice/tsrun-sdu1.scope
cfg "user.slice:tsrun:$id" "$LIMIT" sleep 100
# Files, not a pipe: the container inherits them and lives on.
as_user "$PLAIN/shell" "$RUNTIME" --systemd-cgroup run -d --bundle "$B" "$id" </dev/null >/dev/null 2>"$work/err"
rc=$?
err=$(cat "$work/err")
pid=$(state_pid "$id")
mem=$(cat "$scope/memory.max" 2>/dev/null)
procs=$(cat "$scope/cgroup.procs" 2>/dev/null | tr '\n' ' ')
# The scope's cgroup.procs shows pids as the VM's root pid namespace sees them; the state's pid is systemd's.
inner=$(for p in $(cat "$scope/cgroup.procs" 2>/dev/null); do sed -n 's/^NSpid:\s*[0-9]*\s*\([0-9]*\).*/\1/p' "/proc/$p/status"; done | tr '\n' ' ')
if [ "$rc" = 0 ] && [ -n "$pid" ] && [ "$mem" = "$LIMIT" ] && [ "$inner" = "$pid " ]; then
  ok "--systemd-cgroup as $user: $id in the user manager's scope ${scope#$CG}, memory.max $mem, holding the init (pid $pid)"
else
  notok "--systemd-cgroup as $user: exit $rc, scope ${scope#$CG}: memory.max '$mem', procs '$procs' (in systemd's pid ns '$inner'), init pid '$pid'; $err"
fi
as_user "$PLAIN/shell" "$RUNTIME" --systemd-cgroup delete --force "$id" >/dev/null 2>"$work/err"
rc=$?
left=$(leftover "$id")
if [ "$rc" = 0 ] && [ ! -d "$scope" ] && [ -z "$left" ] && ! as_user "$PLAIN/shell" systemctl --user is-active -q "tsrun-$id.scope"; then
  ok "delete --force: the scope is gone, nothing left in $run_dir"
else
  notok "delete --force: exit $rc, scope left: $([ -d "$scope" ] && echo yes || echo no), state left: '$left'; $(cat "$work/err")"
fi

# --- a cgroup delegated to the user (as Delegate=yes makes it), no systemd -----------------------------------
mkdir -p "$DELEG/shell" || bail "mkdir $DELEG"
# The parent (the root cgroup here) gives the delegated cgroup its controllers; the user owns the directory and
# the files a delegate writes.
echo "+memory +pids" >"$CG/cgroup.subtree_control"
chown "$uid:$gid" "$DELEG" "$DELEG/cgroup.procs" "$DELEG/cgroup.subtree_control" "$DELEG/cgroup.threads" "$DELEG/shell" "$DELEG/shell/cgroup.procs" \
  "$DELEG/shell/cgroup.subtree_control" "$DELEG/shell/cgroup.threads"
id=sdu2 dir=$DELEG/sdu2
cfg "${DELEG#$CG}/$id" "$LIMIT" sleep 100
as_user "$DELEG/shell" "$RUNTIME" run -d --bundle "$B" "$id" </dev/null >/dev/null 2>"$work/err"
rc=$?
err=$(cat "$work/err")
pid=$(state_pid "$id")
mem=$(cat "$dir/memory.max" 2>/dev/null)
inner=$(for p in $(cat "$dir/cgroup.procs" 2>/dev/null); do sed -n 's/^NSpid:\s*[0-9]*\s*\([0-9]*\).*/\1/p' "/proc/$p/status"; done | tr '\n' ' ')
as_user "$DELEG/shell" "$RUNTIME" delete --force "$id" >/dev/null 2>>"$work/err"
drc=$?
left=$(leftover "$id")
if [ "$rc" = 0 ] && [ -n "$pid" ] && [ "$mem" = "$LIMIT" ] && [ "$inner" = "$pid " ] && [ "$drc" = 0 ] && [ ! -d "$dir" ] && [ -z "$left" ]; then
  ok "delegated cgroup: $id in ${dir#$CG}, memory.max $mem, holding the init (pid $pid); gone after delete --force"
else
  notok "delegated cgroup: exit $rc, ${dir#$CG}: memory.max '$mem', init pid '$pid' vs procs '$inner'; delete exit $drc, dir left: $([ -d "$dir" ] && echo yes || echo no), state left: '$left'; $err"
fi
# The limit holds: 64 MiB kept in memory (busybox tail keeps a line without a newline whole) under 16 MiB is
# killed by the kernel's OOM killer; the container's exit is the init's, 128+SIGKILL.
id=sdu3 dir=$DELEG/sdu3
cfg "${DELEG#$CG}/$id" 16777216 sh -c 'head -c 67108864 /dev/zero | tail -n 1 >/dev/null'
as_user "$DELEG/shell" "$RUNTIME" run --bundle "$B" "$id" </dev/null >/dev/null 2>"$work/err"
rc=$?
# Without the limit the same container ends well (the control): 64 MiB fits.
cfg "${DELEG#$CG}/$id" 0 sh -c 'head -c 67108864 /dev/zero | tail -n 1 >/dev/null'
as_user "$DELEG/shell" "$RUNTIME" run --bundle "$B" "$id" </dev/null >/dev/null 2>>"$work/err"
rc2=$?
left=$(leftover "$id")
if [ "$rc" = 137 ] && [ "$rc2" = 0 ] && [ ! -d "$dir" ] && [ -z "$left" ]; then
  ok "delegated cgroup: memory.max 16 MiB holds, 64 MiB kept is OOM-killed (exit 137; 0 without the limit), nothing left"
else
  notok "delegated cgroup OOM: exit $rc with the limit (want 137), $rc2 without (want 0), dir left: $([ -d "$dir" ] && echo yes || echo no), state left: '$left'; $(cat "$work/err")"
fi

# --- nothing delegated: the user's shell in a root-owned cgroup ----------------------------------------------
# No limits: the container runs in the caller's cgroup (its own, $PLAIN/<id> beside the caller's as runc
# places it, cannot be made).
id=sdu4
cfg "" 0 sleep 100
as_user "$PLAIN/shell" "$RUNTIME" run -d --bundle "$B" "$id" </dev/null >/dev/null 2>"$work/err"
rc=$?
err=$(cat "$work/err")
pid=$(state_pid "$id")
cg=$(sd_run cat "/proc/$pid/cgroup" 2>/dev/null)
as_user "$PLAIN/shell" "$RUNTIME" delete --force "$id" >/dev/null 2>>"$work/err"
drc=$?
left=$(leftover "$id")
if [ "$rc" = 0 ] && [ -n "$pid" ] && [ "$cg" = "0::${PLAIN#$CG}/shell" ] && [ ! -e "$PLAIN/$id" ] && [ "$drc" = 0 ] && [ -z "$left" ]; then
  ok "no delegation, no limits: $id runs in the caller's cgroup ${PLAIN#$CG}/shell, no cgroup made, nothing left after delete"
else
  notok "no delegation, no limits: exit $rc, init pid '$pid' in '$cg', $PLAIN/$id made: $([ -e "$PLAIN/$id" ] && echo yes || echo no); delete exit $drc, state left: '$left'; $err"
fi
# A memory limit: refused, and nothing made. tsrun: "linux.resources.memory.limit: cannot set memory limit:
# container could not join or create cgroup"; runc 1.1: "rootless needs no limits + no cgrouppath when no
# permission is granted for cgroups: mkdir ...: permission denied".
id=sdu5
cfg "" "$LIMIT" sleep 100
as_user "$PLAIN/shell" "$RUNTIME" run -d --bundle "$B" "$id" </dev/null >/dev/null 2>"$work/err"
rc=$?
err=$(cat "$work/err")
case $err in
  *"cannot set memory limit: container could not join or create cgroup"* | *"no permission is granted for cgroups"*) said=yes ;;
  *) said=no ;;
esac
left=$(leftover "$id")
if [ "$rc" != 0 ] && [ "$said" = yes ] && [ ! -e "$PLAIN/$id" ] && [ -z "$left" ]; then
  ok "no delegation, a memory limit: refused (exit $rc: $(echo "$err" | tail -1)), nothing left"
else
  notok "no delegation, a memory limit: exit $rc, message as expected: $said, $PLAIN/$id made: $([ -e "$PLAIN/$id" ] && echo yes || echo no), state left: '$left'; $err"
fi
# Nothing of the user's is left running.
procs=$(sd_run pgrep -u "$uid" -l -f 'sleep|tail' 2>/dev/null | tr '\n' ' ')
if [ -z "$procs" ]; then
  ok "no container process of $user left"
else
  notok "container processes of $user left: $procs"
fi
exit $((fails > 0))
