#!/usr/bin/env bash
# Runs each workload with `segalearn bench` and with the PyTorch yardstick (torch_bench.py) at 1 and 2 threads, in
# the same run, and prints ours/PyTorch ratios (higher is better for us). Each side runs REPEATS times, alternating
# ours and theirs so that a noisy stretch of the shared machine hits both, and the table compares medians.
#
# Usage: bench/compare.sh [tiny] [fmnist] [seed] [wide] [gemm]      (default: all five)
# For seed (W-SEED) each run also times ours without L2 (--reg-lambda 0 --weight-decay 0), and the table adds how much
# slower an epoch is with the seed's L2 and decay than without (BENCHMARKS.md: at most 1.3x) and the accuracy gap.
# Environment: TORCH_BENCH  the yardstick script (default ../shared/bench/torch_bench.py from the repository root)
#              PYTHON       the interpreter with torch (default /usr/bin/python3, Debian's)
#              THREADS      thread counts to compare (default "1 2")
#              GEMM_SIZE    n for gemm (default 4096)
#              REPEATS      runs of each side per workload and thread count (default 3; BENCHMARKS.md asks for >= 3)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
torch_bench="${TORCH_BENCH:-$root/../shared/bench/torch_bench.py}"
python="${PYTHON:-/usr/bin/python3}"
threads="${THREADS:-1 2}"
gemm_size="${GEMM_SIZE:-4096}"
repeats="${REPEATS:-3}"
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(tiny fmnist seed wide gemm)

[ -f "$torch_bench" ] || { echo "torch_bench.py not found at $torch_bench (set TORCH_BENCH)" >&2; exit 2; }
dotnet build "$root/src/Cli/SegaLearn.Cli.csproj" -c Release -v quiet -nologo >&2
segalearn=(dotnet "$root/src/Cli/bin/Release/net10.0/segalearn.dll")

result_line() { grep '^RESULT ' | tail -n 1 | sed 's/^RESULT //'; }

rows=()
for workload in "${workloads[@]}"; do
  for t in $threads; do
    case "$workload" in
      gemm) ours_args=(bench gemm --size "$gemm_size"); torch_args=(sgemm --n "$gemm_size") ;;
      *) ours_args=(bench "$workload"); torch_args=("$workload") ;;
    esac
    for r in $(seq "$repeats"); do
      echo "== $workload, $t thread(s), run $r of $repeats" >&2
      ours="$("${segalearn[@]}" "${ours_args[@]}" --threads "$t" | result_line)"
      echo "segalearn: $ours" >&2
      theirs="$(OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" MKL_NUM_THREADS="$t" "$python" "$torch_bench" "${torch_args[@]}" --threads "$t" | result_line)"
      echo "pytorch:   $theirs" >&2
      rows+=("$workload"$'\t'"$t"$'\t'"$ours"$'\t'"$theirs")
      if [ "$workload" = seed ]; then
        plain="$("${segalearn[@]}" bench seed --threads "$t" --reg-lambda 0 --weight-decay 0 | result_line)"
        echo "segalearn without L2: $plain" >&2
        rows+=("seed-l2-cost"$'\t'"$t"$'\t'"$ours"$'\t'"$plain")
      fi
    done
  done
done

printf '%s\n' "${rows[@]}" | "$python" -c '
import json, sys
# metric, higher_is_better
metrics = {
    "tiny": [("train_s_warm_median", False), ("train_s_cold", False), ("train_accuracy", True), ("peak_rss_mb", False)],
    "fmnist": [("samples_per_s", True), ("s_per_epoch", False), ("test_accuracy", True), ("peak_rss_mb", False)],
    "seed": [("samples_per_s", True), ("s_per_epoch", False), ("test_accuracy", True), ("peak_rss_mb", False)],
    "wide": [("gflops", True), ("samples_per_s", True), ("train_accuracy", True), ("peak_rss_mb", False)],
    "gemm": [("gflops", True), ("s_median", False)],
}
runs = {}
for line in sys.stdin:
    workload, threads, ours, theirs = line.rstrip("\n").split("\t")
    runs.setdefault((workload, threads), []).append((json.loads(ours), json.loads(theirs)))
def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
print("%-8s %7s  %-24s %12s %12s %13s   (medians of %s runs each)" % ("workload", "threads", "metric", "segalearn", "pytorch", "ours/pytorch", sys.argv[1]))
for (workload, threads), pairs in runs.items():
    if workload == "seed-l2-cost":
        # ours with the seed L2 and decay (left) against ours without (right): how many times slower L2 makes an epoch
        a, b = median([o["s_per_epoch"] for o, p in pairs]), median([p["s_per_epoch"] for o, p in pairs])
        print("%-8s %7s  %-24s %12.4g %12.4g %12.2fx" % ("seed", threads, "s/epoch L2 vs no L2", a, b, a / b))
        continue
    for name, higher in metrics[workload]:
        if any(o.get(name) is None or p.get(name) is None for o, p in pairs):
            continue
        a, b = median([o[name] for o, p in pairs]), median([p[name] for o, p in pairs])
        # for times and memory the ratio is how many times better we are: pytorch / ours
        ratio = (a / b if higher else b / a) if a and b else float("nan")
        label = name if higher else name + " (inverse)"
        print("%-8s %7s  %-24s %12.4g %12.4g %12.2fx" % (workload, threads, label, a, b, ratio))
    if workload == "seed":
        a = median([o["test_accuracy"] for o, p in pairs])
        b = median([p["test_accuracy"] for o, p in pairs])
        print("%-8s %7s  %-24s %12.4g %12.4g %+12.4f" % (workload, threads, "test_accuracy (diff)", a, b, a - b))
        print("%-8s %7s  %-24s %12d %12d" % (workload, threads, "denormal_weights", median([o["denormal_weights"] for o, p in pairs]),
                                              median([p["denormal_weights"] for o, p in pairs])))
' "$repeats"
