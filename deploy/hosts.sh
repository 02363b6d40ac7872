#!/usr/bin/env bash
# A test bed of K simulated machines on one Linux machine: each host is a network namespace with its own mount
# namespace (a private tmpfs on /dev/shm) and pid namespace (its own /proc), all joined by one bridge, with every
# link shaped both ways by `tc qdisc ... tbf` (netem is not available on these kernels; tbf is). Host I has the
# address 10.231.0.(I+1)/16. Needs root, iproute2 and util-linux's unshare.
#
# Usage: deploy/hosts.sh up K [RATE]     create hosts 0..K-1; RATE is a tc rate (1gbit, 10gbit, 500mbit) or none
#        deploy/hosts.sh run I CMD [ARG...]  run CMD on host I: it is pid 1 there, the host's other processes end with
#                                        it, and a signal that kills this command (kill -9 too) kills it
#        deploy/hosts.sh addr I          print host I's address
#        deploy/hosts.sh ifname I        print host I's network interface (as seen inside the host)
#        deploy/hosts.sh rate RATE       reshape every link of the test bed
#        deploy/hosts.sh down            kill every process on the hosts and remove them
#        deploy/hosts.sh check           exit 0 when this machine can make hosts, else print why and exit 1
# Environment: HOSTS_TAG  a short name (at most 6 characters) that keeps several test beds apart (default sl)
set -euo pipefail

tag="${HOSTS_TAG:-sl}"
[ "${#tag}" -le 6 ] || { echo "HOSTS_TAG '$tag' is longer than 6 characters (interface names are limited to 15)" >&2; exit 2; }
bridge="${tag}br"
ns() { echo "${tag}h$1"; }
outside() { echo "${tag}v$1"; }
inside() { echo "${tag}p$1"; }
addr() { echo "10.231.$(( $1 / 250 )).$(( $1 % 250 + 1 ))"; }
hosts() { ip netns list 2> /dev/null | awk '{print $1}' | grep -E "^${tag}h[0-9]+$" | sed "s/^${tag}h//" | sort -n || true; }

# tbf needs a bucket of at least one GSO segment (64 KiB) and of a few milliseconds at the rate, or it stalls.
shape() {
  local device="$1" rate="$2" run=("${@:3}")
  "${run[@]}" tc qdisc del dev "$device" root 2> /dev/null || true
  [ "$rate" = none ] && return 0
  local bits
  case "$rate" in
    *gbit) bits=$(( ${rate%gbit} * 1000000000 )) ;;
    *mbit) bits=$(( ${rate%mbit} * 1000000 )) ;;
    *kbit) bits=$(( ${rate%kbit} * 1000 )) ;;
    *) echo "rate '$rate': expected e.g. 1gbit, 10gbit, 500mbit or none" >&2; exit 2 ;;
  esac
  local burst=$(( bits / 8 / 250 ))
  [ "$burst" -ge 131072 ] || burst=131072
  "${run[@]}" tc qdisc add dev "$device" root tbf rate "$rate" burst "$burst" latency 20ms
}

reshape() {
  local rate="$1" i
  for i in $(hosts); do
    shape "$(outside "$i")" "$rate"
    shape "$(inside "$i")" "$rate" ip netns exec "$(ns "$i")"
  done
}

case "${1:-}" in
  check)
    if [ "$(id -u)" -ne 0 ]; then echo "the test bed needs root (network namespaces)"; exit 1; fi
    for tool in ip tc unshare; do
      command -v "$tool" > /dev/null || { echo "the test bed needs '$tool' (iproute2, util-linux)"; exit 1; }
    done
    probe="${tag}probe$$"
    if ! ip netns add "$probe" 2> /dev/null; then echo "this machine refuses network namespaces (ip netns add failed)"; exit 1; fi
    ok=0
    ip netns exec "$probe" unshare --mount --pid --fork --mount-proc true 2> /dev/null || ok=1
    ip netns del "$probe"
    [ "$ok" -eq 0 ] || { echo "this machine refuses mount or pid namespaces (unshare failed)"; exit 1; }
    ;;
  up)
    count="${2:?usage: hosts.sh up K [RATE]}"
    rate="${3:-none}"
    "$0" down
    ip link add "$bridge" type bridge
    ip link set "$bridge" up
    for i in $(seq 0 $(( count - 1 ))); do
      ip netns add "$(ns "$i")"
      ip link add "$(outside "$i")" type veth peer name "$(inside "$i")"
      ip link set "$(inside "$i")" netns "$(ns "$i")"
      ip link set "$(outside "$i")" master "$bridge" up
      ip -n "$(ns "$i")" addr add "$(addr "$i")/16" dev "$(inside "$i")"
      ip -n "$(ns "$i")" link set "$(inside "$i")" up
      ip -n "$(ns "$i")" link set lo up
    done
    reshape "$rate"
    ;;
  rate)
    reshape "${2:?usage: hosts.sh rate RATE}"
    ;;
  run)
    host="${2:?usage: hosts.sh run I CMD [ARG...]}"
    shift 2
    exec ip netns exec "$(ns "$host")" unshare --mount --pid --fork --kill-child --mount-proc \
      sh -c 'mount -t tmpfs -o size=1g tmpfs /dev/shm && exec "$@"' sh "$@"
    ;;
  addr) addr "${2:?usage: hosts.sh addr I}" ;;
  ifname) inside "${2:?usage: hosts.sh ifname I}" ;;
  down)
    for i in $(hosts); do
      ip netns pids "$(ns "$i")" 2> /dev/null | xargs -r kill -9 2> /dev/null || true
      ip netns del "$(ns "$i")" 2> /dev/null || true
      ip link del "$(outside "$i")" 2> /dev/null || true
    done
    ip link del "$bridge" 2> /dev/null || true
    ;;
  *)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
