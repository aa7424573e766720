#!/bin/sh
# Runs a command as a process of one simulated host. Started as
#   ip netns exec <netns> unshare --uts /bin/sh host-wrapper.sh <hostname> <cgroup-mounts|-> <run-dir|-> <cmd> [args...]
# `ip netns exec` has already given us a private mount namespace (a slave of the root one, so
# nothing mounted here propagates back) and a fresh /sys, which hides /sys/fs/cgroup.
#
# <run-dir> (for dockerd): /run becomes a private tmpfs that holds only <run-dir>, bound from the
# real one (so the Docker socket and the plugin socket are still shared with the machine). dockerd
# and its containerd then neither see nor write the machine's /run: no /run/docker/plugins of
# someone else's plugin (which would win over our spec file), no shim sockets in /run/containerd/s.
#
# <cgroup-mounts>: each line "<fstype> <source> <target> <options>", read by the harness from
# /proc/1/mounts (or /proc/self/mounts), is mounted again here so dockerd finds its cgroups.
#
# Then the UTS host name is set and the command exec'd (it keeps our pid).
# All mounts use -n: no /run/mount/utab bookkeeping on the machine's /run.
set -eu
host="$1"; mounts="$2"; rundir="$3"; shift 3

if [ "$mounts" != "-" ]; then
  while read -r fstype source target options; do
    [ -n "$fstype" ] || continue
    mkdir -p "$target"
    mount -n -t "$fstype" -o "$options" "$source" "$target"
  done < "$mounts"
  # Combined v1 hierarchies (e.g. cpu,cpuacct) are usually also reachable under each name.
  for dir in /sys/fs/cgroup/*,*; do
    [ -d "$dir" ] || continue
    base=$(basename "$dir")
    for part in $(echo "$base" | tr ',' ' '); do
      [ -e "/sys/fs/cgroup/$part" ] || ln -s "$base" "/sys/fs/cgroup/$part"
    done
  done
fi

# last: the mounts file lives in the machine's /run
if [ "$rundir" != "-" ]; then
  case "$rundir" in /run/?*) ;; *) echo "host-wrapper: run dir must be under /run: $rundir" >&2; exit 2 ;; esac
  staging="$rundir/.private-run"
  mkdir -p "$staging"
  mount -n -t tmpfs -o mode=755 jwtb-run "$staging"
  mkdir -p "$staging/${rundir#/run/}"
  mount -n --bind "$rundir" "$staging/${rundir#/run/}"
  # containerd's shims listen under /run/containerd/s: keep that in <run-dir> so a restarted
  # dockerd (live-restore) finds the shims of the containers that kept running, as on a real host
  mkdir -p "$rundir/containerd-run" "$staging/containerd"
  mount -n --bind "$rundir/containerd-run" "$staging/containerd"
  mount -n --move "$staging" /run
fi

# JWTB_SHARED_MOUNTS=1 (Testbed.Builder.sharedMounts): make this host's mounts shared, as systemd
# does on a real host, so containers can share mounts back (rshared binds); last, since a mount under a shared one cannot be
# moved (the /run above). Nothing reaches the
# machine's namespace: `ip netns exec` made everything a slave of it first.
if [ "${JWTB_SHARED_MOUNTS:-0}" = 1 ]; then
  mount -n --make-rshared /
fi

hostname "$host"
exec "$@"
