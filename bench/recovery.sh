#!/usr/bin/env bash
# Time from a worker's kill -9 to the next committed step (DESIGN §3 failure handling), over TRIALS runs of a local
# cluster of 2 worker processes. Each trial kills one worker mid-epoch, reads the per-step metrics, checks that the
# survivor kept its process id (never restarted) and that the model equals an uninterrupted run's, byte for byte.
#
# Usage: bench/recovery.sh            Environment: TRIALS (default 10)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trials="${TRIALS:-10}"
dotnet build "$root/src/Cli/SegaLearn.Cli.csproj" -c Release -v quiet -nologo >&2
segalearn=(dotnet "$root/src/Cli/bin/Release/net10.0/segalearn.dll")
work="$(mktemp -d)"
run=(train --epochs 12 --batch-size 64 --microbatch 16 --layers 64,128,10)

"${segalearn[@]}" "${run[@]}" --out "$work/reference.safetensors" > /dev/null
delays=()
for trial in $(seq 1 "$trials"); do
  out="$work/out-$trial.txt"
  timeout 120 "${segalearn[@]}" "${run[@]}" --worker-processes 2 --metrics "$work/m-$trial.jsonl" --metrics-steps --out "$work/model-$trial.safetensors" > "$out" 2> "$work/err-$trial.txt" &
  coordinator=$!
  until grep -q '^Epoch 3/' "$out" 2> /dev/null; do sleep 0.02; done
  read -r victim survivor < <(sed -n 's/^worker processes: \([0-9]*\), \([0-9]*\)$/\1 \2/p' "$out")
  killed_ms=$(date +%s%3N)
  kill -9 "$victim"
  if ! wait "$coordinator"; then
    echo "trial $trial failed; its output is in $work" >&2
    exit 1
  fi
  survivor_alive_until_end=$(grep -c "worker local-2: job .* finished" "$out" || true)
  cmp -s "$work/reference.safetensors" "$work/model-$trial.safetensors" && same=yes || same=NO
  read -r delay reassigned < <(python3 -c '
import json, sys
killed = int(sys.argv[2])
steps = [json.loads(l) for l in open(sys.argv[1]) if "\"kind\":\"step\"" in l]
after = [s for s in steps if s["completed_unix_ms"] > killed]
moved = [s for s in after if s["reassigned"] > 0]
print(after[0]["completed_unix_ms"] - killed if after else "none", moved[0]["completed_unix_ms"] - killed if moved else "none")' "$work/m-$trial.jsonl" "$killed_ms")
  echo "trial $trial: killed worker $victim; survivor $survivor finished the job: $survivor_alive_until_end; next committed step after ${delay} ms, the step with the victim's blocks reassigned after ${reassigned} ms; model identical: $same"
  delays+=("$reassigned")
done
rm -rf "$work"
printf '%s\n' "${delays[@]}" | python3 -c '
import sys
d = sorted(float(x) for x in sys.stdin if x.strip() != "none")
p95 = d[min(len(d) - 1, int(round(0.95 * (len(d) - 1))))]
print("kill -9 to the commit of the step whose blocks were reassigned: p50 %.0f ms, p95 %.0f ms, max %.0f ms over %d trials" % (d[len(d) // 2], p95, d[-1], len(d)))'
