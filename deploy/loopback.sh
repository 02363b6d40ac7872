#!/usr/bin/env bash
# Starts a coordinator and N workers as separate processes on 127.0.0.1, the way they run on separate machines, and
# waits for the coordinator; workers stop by themselves when the job ends. Extra arguments go to the coordinator
# (train options), e.g.:  deploy/loopback.sh 2 --data fashion-mnist --layers 784,256,128,10 --epochs 5 --out m.safetensors
#
# Usage: deploy/loopback.sh [N=2] [coordinator options...]     Environment: PORT (default 4053), THREADS (per worker, 1)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workers="${1:-2}"
shift || true
port="${PORT:-4053}"
threads="${THREADS:-1}"
dotnet build "$root/src/Cli/SegaLearn.Cli.csproj" -c Release -v quiet -nologo >&2
segalearn=(dotnet "$root/src/Cli/bin/Release/net10.0/segalearn.dll")

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done; }
trap cleanup EXIT INT TERM

"${segalearn[@]}" coordinator --host 127.0.0.1 --port "$port" --min-workers "$workers" "$@" &
coordinator=$!
for i in $(seq 1 "$workers"); do
  "${segalearn[@]}" worker --join "127.0.0.1:$port" --name "loopback-$i" --threads "$threads" &
  pids+=($!)
  echo "worker loopback-$i: pid $!" >&2
done
echo "coordinator: pid $coordinator, workers: ${pids[*]}" >&2
wait "$coordinator"
