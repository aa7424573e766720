#!/bin/sh
# Runs a command as a process of one simulated host. Started as
#   ip netns exec <netns> unshare --uts /bin/sh host-wrapper.sh <hostname> <cgroup-mounts|-> <cmd> [args...]
# `ip netns exec` has already given us a private mount namespace (a slave of the root one, so
# nothing mounted here propagates back) and a fresh /sys, which hides /sys/fs/cgroup. When a
# mounts file is given, each line is "<fstype> <source> <target> <options>" as read by the
# harness from /proc/1/mounts (or /proc/self/mounts), and is mounted again here, so dockerd
# finds its cgroup hierarchies. Then the UTS host name is set and the command exec'd (same pid).
set -eu
host="$1"; mounts="$2"; shift 2

if [ "$mounts" != "-" ]; then
  while read -r fstype source target options; do
    [ -n "$fstype" ] || continue
    mkdir -p "$target"
    mount -t "$fstype" -o "$options" "$source" "$target"
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

hostname "$host"
exec "$@"
