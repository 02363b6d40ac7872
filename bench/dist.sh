#!/usr/bin/env bash
# W-DIST side by side: `segalearn bench dist` (coordinator + N worker processes of 1 thread, run at N=1 and N) and
# PyTorch DDP (torch_ddp.py, gloo, --world 1 and N), in the same run, then the ratio table.
#
# Usage: bench/dist.sh [N=2] [EPOCHS=5]
# Environment: TORCH_DDP  the yardstick (default ../shared/bench/torch_ddp.py from the repository root)
#              COORDINATOR_THREADS  threads of the coordinator's reduce and optimizer, which run while the workers
#                         wait for the next step (default: all cores); workers always have one thread each
#              PYTHON     the interpreter with torch (default /usr/bin/python3, Debian's)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
world="${1:-2}"
epochs="${2:-5}"
torch_ddp="${TORCH_DDP:-$root/../shared/bench/torch_ddp.py}"
python="${PYTHON:-/usr/bin/python3}"
[ -f "$torch_ddp" ] || { echo "torch_ddp.py not found at $torch_ddp (set TORCH_DDP)" >&2; exit 2; }
dotnet build "$root/src/Cli/SegaLearn.Cli.csproj" -c Release -v quiet -nologo >&2

result_line() { grep '^RESULT ' | tail -n 1 | sed 's/^RESULT //'; }
echo "== segalearn bench dist --worker-processes $world" >&2
ours="$(dotnet "$root/src/Cli/bin/Release/net10.0/segalearn.dll" bench dist --worker-processes "$world" --epochs "$epochs" --threads "${COORDINATOR_THREADS:-$(nproc)}" 2> /dev/null | result_line)"
echo "segalearn: $ours" >&2
echo "== torch_ddp.py --world 1" >&2
ddp1="$("$python" "$torch_ddp" --world 1 --epochs "$epochs" | result_line)"
echo "pytorch:   $ddp1" >&2
echo "== torch_ddp.py --world $world" >&2
ddpn="$("$python" "$torch_ddp" --world "$world" --epochs "$epochs" | result_line)"
echo "pytorch:   $ddpn" >&2

"$python" - "$ours" "$ddp1" "$ddpn" "$world" << 'PY'
import json, sys
ours, ddp1, ddpn, world = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
ddp_eff = ddpn["samples_per_s"] / (world * ddp1["samples_per_s"])
rows = [
    ("samples/s N=1", ours["samples_per_s_world1"], ddp1["samples_per_s"]),
    ("samples/s N=%d" % world, ours["samples_per_s"], ddpn["samples_per_s"]),
    ("efficiency N=%d" % world, ours["efficiency"], ddp_eff),
    ("test accuracy", ours["test_accuracy"], ddpn["test_accuracy"]),
    ("bytes/step", ours["bytes_per_step"], ddpn["lo_tx_bytes_per_step_all_ranks"]),
]
print("%-18s %14s %14s %13s" % ("W-DIST", "segalearn", "pytorch DDP", "ours/pytorch"))
for name, a, b in rows:
    print("%-18s %14.4g %14.4g %13.2f" % (name, a, b, a / b if b else float("nan")))
print("parameters identical for N=1 and N=%d: %s" % (world, ours["params_identical_world1"]))
PY
