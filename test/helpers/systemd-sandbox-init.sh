#!/bin/bash
# Runs as PID 1 of the sandbox's fresh PID, mount, UTS and cgroup namespaces
# (started by systemd-sandbox.ts through unshare), makes every place systemd or
# an install could write private to this mount namespace, then becomes Debian's
# real systemd. Nothing here may reach the host: every mount below is private
# (unshare --propagation private) and dies with the namespace.
#
#   systemd-sandbox-init.sh SANDBOX_DIR CALLER_MOUNT_NS TARGET [ALLOWED_UNIT...]
#
# SANDBOX_DIR is the host's mktemp directory of this sandbox: overlay upper and
# work directories, the console log, and share/ (the same path inside and
# outside, the only host directory the sandbox can write). CALLER_MOUNT_NS is
# the caller's /proc/self/ns/mnt: ours must differ before anything is mounted.
set -euo pipefail

dir=$1
caller_mount_ns=$2
target=$3
shift 3
allowed=("$@")
share=$dir/share

# Refuse to go on unless this really is a fresh PID namespace: every mount
# below would otherwise land in the caller's mount namespace.
[ "$$" -eq 1 ] || { echo "systemd-sandbox-init: not PID 1 of a new namespace" >&2; exit 1; }
[ -n "$caller_mount_ns" ] && [ "$(readlink /proc/self/ns/mnt)" != "$caller_mount_ns" ] || { echo "systemd-sandbox-init: not in a new mount namespace" >&2; exit 1; }

# /proc of this PID namespace. /proc/sys read-only: systemd as PID 1 raises
# host-wide sysctls (fs.file-max, fs.nr_open, net.unix.max_dgram_qlen of the
# shared network namespace); here those writes fail with EROFS instead.
mount -t proc -o nosuid,nodev,noexec proc /proc
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
if [ -e /proc/sysrq-trigger ]; then
  mount --bind /proc/sysrq-trigger /proc/sysrq-trigger
  mount -o remount,bind,ro /proc/sysrq-trigger
fi

# /run first: a private tmpfs, so systemd's runtime state, the unit masks and
# the staging mount below never touch the host's /run.
mount -t tmpfs -o mode=0755,nosuid,nodev,size=64m tmpfs /run
# Keep SANDBOX_DIR reachable while /tmp (where it may live) is covered below.
mkdir /run/.sandbox
mount --bind "$dir" /run/.sandbox
own=/run/.sandbox

# Everything an install or a boot writes outside /run and /tmp: an overlay
# whose upper layer is in SANDBOX_DIR, so the host's files are visible and
# every write vanishes with the sandbox. /root holds npm's cache.
for path in /etc /var /usr/local /root; do
  name=${path#/}
  name=${name//\//-}
  mkdir -p "$own/overlay/$name/upper" "$own/overlay/$name/work"
  mount -t overlay overlay -o "lowerdir=$path,upperdir=$own/overlay/$name/upper,workdir=$own/overlay/$name/work" "$path"
done

# /tmp: the trap. Debian's tmp.conf (D /tmp) makes systemd-tmpfiles --remove
# empty /tmp at boot; here it empties this tmpfs, never the host's /tmp.
mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m tmpfs /tmp

# /dev: a tmpfs with only the nodes services need, so nothing systemd creates
# there reaches the host's devtmpfs, and no /dev/kmsg: journald cannot read or
# write the host's kernel log. /dev/console is a plain file: systemd as PID 1
# of a container logs there (the harness prints it when a boot fails).
mount -t tmpfs -o mode=0755,nosuid,size=4m tmpfs /dev
mknod -m 0666 /dev/null c 1 3
mknod -m 0666 /dev/zero c 1 5
mknod -m 0666 /dev/full c 1 7
mknod -m 0666 /dev/random c 1 8
mknod -m 0666 /dev/urandom c 1 9
mknod -m 0666 /dev/tty c 5 0
mkdir /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,nosuid,noexec devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev,size=16m tmpfs /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
: >"$own/console.log"
touch /dev/console
mount --bind "$own/console.log" /dev/console

# cgroups: a cgroup2 mount made inside this cgroup namespace is rooted at the
# sandbox's own cgroup (the caller moved us there), so systemd sees it as / and
# creates init.scope and system.slice under it, never beside the host's.
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup
# The rest of /sys read-only: no kernel tunable or device state changes.
mount -o remount,bind,ro /sys

# share/ back at the path it has on the host, wherever that now is.
mkdir -p "$share"
mount --bind "$own/share" "$share"
umount /run/.sandbox
rmdir /run/.sandbox

# Everything else read-only (a per-mount flag of this namespace only): a write
# the sandbox did not plan for fails with EROFS instead of changing the host.
mount -o remount,bind,ro /

# Mask every unit the host has, except journald and the units asked for.
# system.control comes before /etc/systemd/system in the unit search path, so
# a mask there also hides a unit an admin put in /etc. Targets and slices stay:
# they run nothing, and a service's default dependencies need them.
masks=/run/systemd/system.control
mkdir -p "$masks" /run/systemd/system
keep() {
  case $1 in
    *.target | *.slice | *.scope) return 0 ;;
    systemd-journald.service | systemd-journald.socket | systemd-journald-dev-log.socket) return 0 ;;
  esac
  local unit
  for unit in "${allowed[@]}"; do [ "$unit" = "$1" ] && return 0; done
  return 1
}
for unitdir in /etc/systemd/system /usr/local/lib/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
  [ -d "$unitdir" ] || continue
  for file in "$unitdir"/*; do
    unit=${file##*/}
    case $unit in
      *.service | *.socket | *.timer | *.path | *.mount | *.automount | *.swap | *.device) ;;
      *) continue ;;
    esac
    keep "$unit" && continue
    [ -e "$masks/$unit" ] || [ -L "$masks/$unit" ] || ln -s /dev/null "$masks/$unit"
  done
done

# The boot target: journald and nothing else.
cat >"/run/systemd/system/$target" <<EOF
[Unit]
Description=edge-telemetry test sandbox
DefaultDependencies=no
Wants=systemd-journald.service
After=systemd-journald.service
EOF

hostname edge-telemetry-sandbox

# container= makes systemd behave as in a container (no swapoff, loop or DM
# detaching at shutdown, no host-wide setup); SYSTEMD_GENERATOR_PATH pointing
# to an empty directory runs no generator (fstab, getty, sysv…), so no unit
# appears that the masks above do not know.
mkdir -p /run/sandbox-no-generators
exec env -i \
  container=edge-telemetry-sandbox \
  SYSTEMD_GENERATOR_PATH=/run/sandbox-no-generators \
  SYSTEMD_ENVIRONMENT_GENERATOR_PATH=/run/sandbox-no-generators \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 \
  /lib/systemd/systemd --system --unit="$target" --show-status=no --log-target=console
