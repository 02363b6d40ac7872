#!/usr/bin/env bash
# Mutation testing of the math and bookkeeping that decide training results: Stryker.NET (a local tool, see
# .config/dotnet-tools.json) mutates Core's Training/, Optimizers/, Schedulers/, the reference backend, the losses and
# activations, the CSV and IDX readers, the standardizer and splitter, and Serialization/ (tests/stryker-config.json),
# and runs the Core tests against each mutant. Prints the score per folder and every surviving mutant, with the reason
# for those listed in tests/mutation-ignore.txt, and exits 1 when the score is below the threshold.
#
# Score = killed / (killed + survived), where timeouts count as killed and mutants no test covers as survived.
# Mutants listed in the ignore file are equivalent (no test can tell them from the original): they are printed with
# their reason and left out of the score that is checked; the score with them counted as survivors is printed too.
#
# Usage: tests/mutation.sh [dotnet-stryker options...]   e.g. --since:main to mutate only files changed since main
# MUTATION_THRESHOLD (default 85) sets the score below which it fails. Not part of .ci/run: it takes about 27 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

threshold="${MUTATION_THRESHOLD:-85}"
out="$PWD/artifacts/mutation"
ignore="$PWD/tests/mutation-ignore.txt"

if ! command -v dotnet >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
  echo "error: tests/mutation.sh needs dotnet (the .NET 10 SDK) and python3 on PATH" >&2
  exit 2
fi

dotnet tool restore >/dev/null
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)
# Two passes, one per mutated project: Core with its tests, and the coordinator's step ledger with the Distributed
# tests that exercise it without actors. Stryker builds and mutates in each test project's own bin/ folder; a normal
# build afterwards puts it back.
reports=()
for pass in core coordinator; do
  config=stryker-config.json
  [ "$pass" = coordinator ] && config=stryker-config.coordinator.json
  status=0
  (cd tests && nice -n 10 dotnet stryker -f "$config" -O "$out/$pass" --skip-version-check "$@") || status=$?
  report="$out/$pass/reports/mutation-report.json"
  if [ "$status" -ne 0 ] || [ ! -f "$report" ]; then
    echo "error: Stryker ($config) failed (exit $status) or wrote no report at $report" >&2
    exit 2
  fi
  reports+=("$report")
done
seconds=$(( $(date +%s) - start ))

python3 - "$ignore" "$threshold" "$seconds" "${reports[@]}" <<'PY'
import json, re, sys
from collections import defaultdict

ignore_path, threshold, seconds, report_paths = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
files = {}
for report_path in report_paths:
    files.update(json.load(open(report_path, encoding="utf-8"))["files"])

def collapse(text):
    return re.sub(r"\s+", " ", text).strip()

def snippet(source, location):
    lines = source.split("\n")
    start, end = location["start"], location["end"]
    if start["line"] == end["line"]:
        return lines[start["line"] - 1][start["column"] - 1:end["column"] - 1]
    parts = [lines[start["line"] - 1][start["column"] - 1:]]
    parts += lines[start["line"]:end["line"] - 1]
    parts.append(lines[end["line"] - 1][:end["column"] - 1])
    return "\n".join(parts)

def short(text, limit=100):
    text = collapse(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."

# Ignore file: "<file under src/Core> | <original> -> <replacement> | <reason>", code with whitespace collapsed.
ignored = {}
for number, line in enumerate(open(ignore_path, encoding="utf-8"), 1):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    parts = [p.strip() for p in line.split(" | ")]
    if len(parts) != 3 or " -> " not in parts[1] or not parts[2]:
        sys.exit(f"error: {ignore_path}:{number}: expected '<file> | <original> -> <replacement> | <reason>'")
    ignored[(parts[0], parts[1])] = [parts[2], 0]

counts = defaultdict(lambda: defaultdict(int))
survivors = []
for path, entry in sorted(files.items()):
    relative = re.sub(r"^.*?src/(Core/)?", "", path.replace("\\", "/"))
    folder = relative.rsplit("/", 1)[0] + "/" if "/" in relative else relative
    if all(m["status"] in ("Ignored", "CompileError") for m in entry["mutants"]):
        continue  # a file outside the mutate patterns: Stryker still compiles its mutants in, then ignores them
    for mutant in entry["mutants"]:
        status = mutant["status"]
        if status in ("Killed", "Timeout"):
            counts[folder]["killed"] += 1
        elif status in ("Survived", "NoCoverage"):
            key = (relative, short(snippet(entry["source"], mutant["location"])) + " -> " + short(mutant.get("replacement", "")))
            known = ignored.get(key)
            if known:
                known[1] += 1
                counts[folder]["equivalent"] += 1
            else:
                counts[folder]["survived"] += 1
            survivors.append((relative, mutant["location"]["start"]["line"], mutant["mutatorName"], status, key[1], known[0] if known else None))
        else:
            counts[folder][status.lower()] += 1

print()
print(f"{'folder':<16} {'killed':>7} {'survived':>9} {'equivalent':>11} {'score':>7} {'with equivalent':>16}")
totals = defaultdict(int)
def score(c, with_equivalent=False):
    undetected = c["survived"] + (c["equivalent"] if with_equivalent else 0)
    total = c["killed"] + undetected
    return 100.0 * c["killed"] / total if total else 100.0
for folder in sorted(counts):
    c = counts[folder]
    for k, v in c.items():
        totals[k] += v
    print(f"{folder:<16} {c['killed']:>7} {c['survived']:>9} {c['equivalent']:>11} {score(c):>6.1f}% {score(c, True):>15.1f}%")
print(f"{'all':<16} {totals['killed']:>7} {totals['survived']:>9} {totals['equivalent']:>11} {score(totals):>6.1f}% {score(totals, True):>15.1f}%")
other = {k: v for k, v in totals.items() if k not in ("killed", "survived", "equivalent", "ignored")}
if other:
    print("not scored: " + ", ".join(f"{v} {k}" for k, v in sorted(other.items())))

print()
print(f"Surviving mutants ({len(survivors)}; 'equivalent' ones are listed in tests/mutation-ignore.txt):")
for relative, line, mutator, status, change, reason in survivors:
    tag = f"equivalent: {reason}" if reason else ("NOT COVERED" if status == "NoCoverage" else "SURVIVED")
    print(f"  {relative}:{line} [{mutator}] {change}\n      {tag}")
stale = [key for key, (reason, hits) in ignored.items() if hits == 0]
for file, change in stale:
    print(f"  note: ignore entry matched no survivor (fixed, or the code moved): {file} | {change}")

minutes, secs = divmod(seconds, 60)
final = score(totals)
print()
print(f"Mutation score {final:.1f}% ({score(totals, True):.1f}% counting equivalent mutants as survivors), threshold {threshold:g}%, "
      f"run time {minutes} min {secs} s")
sys.exit(0 if final >= threshold else 1)
PY
