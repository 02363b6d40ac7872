#!/usr/bin/env bash
# W-DIST side by side: `segalearn bench dist` (coordinator + N worker processes of 1 thread, run at N=1 and N) and
# PyTorch DDP (torch_ddp.py, gloo, --world 1 and N), in the same run, then the ratio table.
#
# Usage: bench/dist.sh [N=2] [EPOCHS=5]
# Each side runs REPEATS times (default 5; BENCHMARKS.md asks for medians of at least 3, and on a shared 2-core VM one
# invocation's N=2 runs spread from 76k to 114k samples/s), N=1 and N alternating, and the table compares medians;
# efficiency is median rate(N) / (N x median rate(1)).
# Environment: TORCH_DDP  the yardstick (default ../shared/bench/torch_ddp.py from the repository root)
#              COORDINATOR_THREADS  threads of the coordinator's reduce and optimizer, which run while the workers
#                         wait for the next step (default: all cores); workers always have one thread each
#              PYTHON     the interpreter with torch (default /usr/bin/python3, Debian's)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
world="${1:-2}"
epochs="${2:-5}"
repeats="${REPEATS:-5}"
torch_ddp="${TORCH_DDP:-$root/../shared/bench/torch_ddp.py}"
python="${PYTHON:-/usr/bin/python3}"
[ -f "$torch_ddp" ] || { echo "torch_ddp.py not found at $torch_ddp (set TORCH_DDP)" >&2; exit 2; }
dotnet build "$root/src/Cli/SegaLearn.Cli.csproj" -c Release -v quiet -nologo >&2

result_line() { grep '^RESULT ' | tail -n 1 | sed 's/^RESULT //'; }
echo "== segalearn bench dist --worker-processes $world" >&2
ours="$(dotnet "$root/src/Cli/bin/Release/net10.0/segalearn.dll" bench dist --worker-processes "$world" --epochs "$epochs" --reps "$repeats" --threads "${COORDINATOR_THREADS:-$(nproc)}" 2> /dev/null | result_line)"
echo "segalearn: $ours" >&2
ddp1=()
ddpn=()
for r in $(seq "$repeats"); do
  echo "== torch_ddp.py --world 1, run $r of $repeats" >&2
  ddp1+=("$("$python" "$torch_ddp" --world 1 --epochs "$epochs" | result_line)")
  echo "pytorch:   ${ddp1[-1]}" >&2
  echo "== torch_ddp.py --world $world, run $r of $repeats" >&2
  ddpn+=("$("$python" "$torch_ddp" --world "$world" --epochs "$epochs" | result_line)")
  echo "pytorch:   ${ddpn[-1]}" >&2
done

"$python" - "$ours" "$world" "$repeats" "${ddp1[@]}" "${ddpn[@]}" << 'PY'
import json, sys
ours, world, repeats = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
runs = [json.loads(a) for a in sys.argv[4:]]
def median_run(results):
    return sorted(results, key=lambda r: r["samples_per_s"])[(len(results) - 1) // 2]
ddp1, ddpn = median_run(runs[:repeats]), median_run(runs[repeats:])
ddp_eff = ddpn["samples_per_s"] / (world * ddp1["samples_per_s"])
rows = [
    ("samples/s N=1", ours["samples_per_s_world1"], ddp1["samples_per_s"]),
    ("samples/s N=%d" % world, ours["samples_per_s"], ddpn["samples_per_s"]),
    ("efficiency N=%d" % world, ours["efficiency"], ddp_eff),
    ("test accuracy", ours["test_accuracy"], ddpn["test_accuracy"]),
    ("bytes/step", ours["bytes_per_step"], ddpn["lo_tx_bytes_per_step_all_ranks"]),
]
print("%-18s %14s %14s %13s   (medians of %d runs each)" % ("W-DIST", "segalearn", "pytorch DDP", "ours/pytorch", repeats))
for name, a, b in rows:
    print("%-18s %14.4g %14.4g %13.2f" % (name, a, b, a / b if b else float("nan")))
print("parameters identical for N=1 and N=%d: %s" % (world, ours["params_identical_world1"]))
PY
