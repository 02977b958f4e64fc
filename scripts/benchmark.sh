#!/usr/bin/env bash
# Regenerate every accuracy and speed figure in the README from ../shared/corpus.
# Usage: scripts/benchmark.sh [OUTDIR]   (default: runs/benchmark)
# Split, seed and sizes are fixed here and printed with each figure.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-../shared/corpus/pro-games.tar.gz}
OUT=${1:-runs/benchmark}
SEED=0
LIMIT=${LIMIT:-1000}
MODEL_LIMIT=${MODEL_LIMIT:-400}
mkdir -p "$OUT"
[ -f "$CORPUS" ] || { echo "corpus not found: $CORPUS (set CORPUS=...)" >&2; exit 2; }
echo "machine: $(nproc) cores, $(python -c 'import platform; print(platform.processor() or platform.machine())')"

echo "== replay speed: gofix vs sgfmill (first 5000 games of $CORPUS)"
python scripts/bench.py replay "$CORPUS" --limit 5000 | tee "$OUT/replay.txt"

echo "== gofix check on the whole of $CORPUS (rules only)"
set +e
gofix check "$CORPUS" --json > "$OUT/check.jsonl" 2> "$OUT/check.summary"
rc=$?
set -e
cat "$OUT/check.summary"; echo "exit code $rc"
python - "$OUT/check.jsonl" <<'PY'
import collections, json, sys
kinds = collections.Counter(); status = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line); status[r["status"]] += 1
    kinds.update(f["kind"] for f in r["findings"])
print("status:", dict(status)); print("findings by kind:", dict(kinds))
PY

echo "== gofix eval, rules only: test split, seed $SEED, 1 error per corrupted game, half the games clean, $LIMIT games"
gofix eval "$CORPUS" --rules-only --split test --seed $SEED --limit "$LIMIT" --errors-per-game 1 --clean-share 0.5 \
    --markdown "$OUT/eval-rules.md" --json > "$OUT/eval-rules.json"
cat "$OUT/eval-rules.md"

echo "== gofix eval with the bundled models (tagger, tagger + seq2seq, left only): test and validation splits, seed $SEED, $MODEL_LIMIT games each"
for split in test val; do
    gofix eval "$CORPUS" --split $split --seed $SEED --limit "$MODEL_LIMIT" --errors-per-game 1 --clean-share 0.5 \
        --markdown "$OUT/eval-model-$split.md" --plot "$OUT/pr-$split.png" --json > "$OUT/eval-model-$split.json"
    cat "$OUT/eval-model-$split.md"
done

echo "== the same with $LIMIT games each, tagger and left only (the 1,000-game table with changes right)"
for split in test val; do
    gofix eval "$CORPUS" --split $split --seed $SEED --limit "$LIMIT" --no-seq2seq \
        --markdown "$OUT/eval-model-$split-$LIMIT.md" --json > "$OUT/eval-model-$split-$LIMIT.json"
    cat "$OUT/eval-model-$split-$LIMIT.md"
done

echo "== how far to trust a change: changed games restored exactly, by confidence (validation, seed 2)"
gofix calibrate gofix/weights/tagger.pt --data "$CORPUS" --steps trust --card "$OUT/tagger-card.json" --force \
    | tee "$OUT/repair-calibration.txt"

echo "== where exact repair is lost: as shipped vs with the error located (validation, seed 2)"
python research/oracle_repair.py --games 1000 --seed 2 | tee "$OUT/oracle-repair.jsonl"

echo "== gofix check speed, one game at a time, bundled model"
python scripts/bench.py check --games 150 | tee "$OUT/check-speed.txt"

echo "== gofix clean throughput, 1 worker and all cores"
python scripts/bench.py clean --games 200 | tee "$OUT/clean.json"

echo "== peak memory: gofix check on a 100,000-game archive (rules only), then with the model"
python scripts/bench.py memory --games 100000 --rules-only | tee "$OUT/memory.txt"
python scripts/bench.py memory --games 3000 | tee -a "$OUT/memory.txt"

echo "== gofix reconcile: grouping of the whole archive, then whole runs (rules only, then the model) with their output checked"
python scripts/reconcile_bench.py "$CORPUS" --jobs 2 | tee "$OUT/reconcile-grouping.txt"
for judge in --rules-only ""; do
    rm -rf "$OUT/reconciled"
    gofix reconcile "$CORPUS" --out "$OUT/reconciled" --jobs 2 $judge | tee -a "$OUT/reconcile.txt" || true
    python scripts/reconcile_bench.py --check-output "$OUT/reconciled" | tee -a "$OUT/reconcile.txt"
done
