#!/usr/bin/env bash
# W-HOSTS: W-DIST across simulated machines (deploy/hosts.sh: one network, mount and pid namespace per host, links
# shaped both ways with tbf). Ours: the coordinator on host 0 and N workers of one thread on hosts 1..N; PyTorch DDP
# (torch_ddp.py, gloo): rank R on host R+1. Same hosts, same links, same run; each side REPEATS times, alternating,
# and the table compares medians. Ours' samples/s leaves out the end-of-epoch evaluation the coordinator command does
# (its JSONL's eval_seconds), as DDP's epoch time has none; both take the median of epochs 2.. .
#
# Usage: bench/hosts.sh             Environment: RATES   link rates (default "none 10gbit 1gbit")
#                                                WORLDS  worker counts N (default "2 3")
#                                                REPEATS runs of each side (default 3), EPOCHS (default 3)
#                                                TORCH_DDP, PYTHON as in bench/dist.sh; HOSTS_TAG (default bh)
#                                                VERSUS  ddp (default), or tls: the other side is ours with --tls
#                                                        (a fresh cluster certificate), to measure what TLS costs
# Needs root (namespaces). Prints one table row per (N, rate): samples/s of both sides and their ratio, bytes per step
# through the coordinator's data plane (the `steps:` summary) and through host 0's interface, and the step's split.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hosts="$root/deploy/hosts.sh"
export HOSTS_TAG="${HOSTS_TAG:-bh}"
rates="${RATES:-none 10gbit 1gbit}"
worlds="${WORLDS:-2 3}"
repeats="${REPEATS:-3}"
epochs="${EPOCHS:-3}"
torch_ddp="${TORCH_DDP:-$root/../shared/bench/torch_ddp.py}"
python="${PYTHON:-/usr/bin/python3}"
[ -f "$torch_ddp" ] || { echo "torch_ddp.py not found at $torch_ddp (set TORCH_DDP)" >&2; exit 2; }
if ! why="$("$hosts" check)"; then echo "bench/hosts.sh: $why" >&2; exit 2; fi
dotnet build "$root/src/Cli/SegaLearn.Cli.csproj" -c Release -v quiet -nologo >&2
segalearn=(dotnet "$root/src/Cli/bin/Release/net10.0/segalearn.dll")
work="$(mktemp -d)"
trap '"$hosts" down; rm -rf "$work"' EXIT

link_bytes() {  # rx + tx bytes of host $1's interface, read inside its network namespace
  local dev
  dev="$("$hosts" ifname "$1")"
  ip netns exec "${HOSTS_TAG}h$1" sh -c "echo \$(( \$(cat /sys/class/net/$dev/statistics/rx_bytes) + \$(cat /sys/class/net/$dev/statistics/tx_bytes) ))"
}

ours() {  # N [--insecure | --tls FILE] -> one JSON line
  local n="$1" i before after
  shift
  for i in $(seq 1 "$n"); do
    "$hosts" run "$i" "${segalearn[@]}" worker --join "$("$hosts" addr 0):4053" --host "$("$hosts" addr "$i")" --name "host-$i" --threads 1 "$@" \
      > "$work/worker-$i.log" 2>&1 &
  done
  before="$(link_bytes 0)"
  "$hosts" run 0 "${segalearn[@]}" coordinator --host "$("$hosts" addr 0)" --port 4053 --min-workers "$n" "$@" \
    --data fashion-mnist --layers 784,256,128,10 --dropout 0 --reg-lambda 0 --weight-decay 0 --optimizer adam --lr 0.001 \
    --batch-size 128 --microbatch $(( 128 / n )) --epochs "$epochs" --patience 0 --seed 42 \
    --metrics "$work/ours.jsonl" --out "$work/ours.safetensors" > "$work/coordinator.log" 2>&1
  after="$(link_bytes 0)"
  wait
  "$python" - "$work/ours.jsonl" "$work/coordinator.log" "$before" "$after" "$epochs" << 'PY'
import json, re, statistics, sys
epochs = [json.loads(l) for l in open(sys.argv[1]) if l.strip() and '"epoch"' in l]
train = [e["seconds"] - e.get("eval_seconds", 0) for e in epochs]
steady = statistics.median(train[1:] if len(train) > 1 else train)
log = open(sys.argv[2]).read()
m = re.search(r"steps: (\d+), median ms: step ([\d.]+) \(compute ([\d.]+), transfer\+wait ([\d.]+), reduce ([\d.]+)\), optimizer ([\d.]+); bytes/step (\d+)", log)
steps = int(m.group(1))
acc = re.search(r"Test accuracy: ([\d.]+)", log)
print(json.dumps(dict(samples_per_s=60000 / steady, epoch_train_s=train, step_ms=float(m.group(2)), compute_ms=float(m.group(3)),
                      transfer_ms=float(m.group(4)), reduce_ms=float(m.group(5)), optimizer_ms=float(m.group(6)),
                      plane_bytes_per_step=int(m.group(7)), link_bytes_per_step=(int(sys.argv[4]) - int(sys.argv[3])) / steps,
                      test_accuracy=float(acc.group(1)) if acc else None)))
PY
}

ddp() {  # N -> the RESULT JSON of rank 0
  local n="$1" rank
  for rank in $(seq 1 $(( n - 1 ))); do
    "$hosts" run $(( rank + 1 )) "$python" "$torch_ddp" --world "$n" --rank "$rank" --master-addr "$("$hosts" addr 1)" \
      --ifname "$("$hosts" ifname $(( rank + 1 )))" --epochs "$epochs" > "$work/ddp-$rank.log" 2>&1 &
  done
  "$hosts" run 1 "$python" "$torch_ddp" --world "$n" --rank 0 --master-addr "$("$hosts" addr 1)" --ifname "$("$hosts" ifname 1)" \
    --epochs "$epochs" 2> "$work/ddp-0.err" | grep '^RESULT ' | tail -n 1 | sed 's/^RESULT //'
  wait
}

versus="${VERSUS:-ddp}"
case "$versus" in
  ddp) other=DDP ;;
  tls) other=TLS; "${segalearn[@]}" cert --out "$work/cluster.pfx" > /dev/null ;;
  *) echo "VERSUS must be ddp or tls, got '$versus'" >&2; exit 2 ;;
esac

rows=()
for n in $worlds; do
  "$hosts" up $(( n + 1 )) none
  for rate in $rates; do
    "$hosts" rate "$rate"
    for r in $(seq "$repeats"); do
      echo "== N=$n, link $rate, run $r of $repeats" >&2
      a="$(ours "$n" --insecure)"
      echo "segalearn: $a" >&2
      if [ "$versus" = tls ]; then b="$(ours "$n" --tls "$work/cluster.pfx")"; else b="$(ddp "$n")"; fi
      echo "$other:   $b" >&2
      rows+=("$n"$'\t'"$rate"$'\t'"$a"$'\t'"$b")
    done
  done
done

printf '%s\n' "${rows[@]}" | "$python" -c '
import json, statistics, sys
runs = {}
for line in sys.stdin:
    n, rate, ours, theirs = line.rstrip("\n").split("\t")
    runs.setdefault((int(n), rate), []).append((json.loads(ours), json.loads(theirs)))
other = sys.argv[2]
print("%3s %7s %12s %12s %9s %14s %14s %9s %11s %10s   (medians of %s runs each)" % (
    "N", "link", "ours smp/s", other + " smp/s", "ours/" + other, "plane B/step", "link B/step", "step ms", "compute ms", "xfer ms", sys.argv[1]))
for (n, rate), pairs in runs.items():
    med = lambda f: statistics.median(f(o, p) for o, p in pairs)
    a, b = med(lambda o, p: o["samples_per_s"]), med(lambda o, p: p["samples_per_s"])
    print("%3d %7s %12.0f %12.0f %8.2fx %14.0f %14.0f %9.3f %11.3f %10.3f" % (
        n, rate, a, b, a / b, med(lambda o, p: o["plane_bytes_per_step"]), med(lambda o, p: o["link_bytes_per_step"]),
        med(lambda o, p: o["step_ms"]), med(lambda o, p: o["compute_ms"]), med(lambda o, p: o["transfer_ms"])))
' "$repeats" "$other"
