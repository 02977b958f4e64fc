#!/usr/bin/env bash
# Build the 19x19 cache from the pro corpus (once) and train the default tagger,
# then the causal (left-context) ablation with the same budget, one after the other.
#
#   scripts/train_default.sh                 # 32.5 min each: 1 torch thread + 1 data worker, seed 0
#   BUDGET=600 RUNS="bi" scripts/train_default.sh
#
# Writes cache/pro19.npz, runs/<name>/{last,best}.pt and runs/<name>.log, then each run's model card
# (`gofix calibrate` on the corpus: runs/<name>/last.json; the causal ablation's thresholds only;
# CALIBRATE=0 to skip). Resumable: rerunning continues each run from its last.pt (--resume).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/work/venv/bin/python}
CORPUS=${CORPUS:-../shared/corpus/pro-games.tar.gz}
CACHE=${CACHE:-cache/pro19.npz}
BUDGET=${BUDGET:-1950}      # seconds of training per run
THREADS=${THREADS:-1}     # torch threads; WORKERS data processes run beside them
WORKERS=${WORKERS:-1}
SEED=${SEED:-0}
PRESET=${PRESET:-small}   # default: ~2x slower per move
VAL_GAMES=${VAL_GAMES:-200}
EVAL_EVERY=${EVAL_EVERY:-360}
MAX_TOKENS=${MAX_TOKENS:-4096}
LR=${LR:-1.5e-3}
RUNS=${RUNS:-"bi causal"}

if [ ! -f "$CACHE" ]; then
  "$PY" -c "
import sys, json
from gofix.train.cache import build_cache
print(json.dumps(build_cache(sys.argv[2:], sys.argv[1])))
" "$CACHE" "$CORPUS"
fi

mkdir -p runs
for run in $RUNS; do
  extra=""
  [ "$run" = causal ] && extra="--causal"
  "$PY" -m gofix.train.loop --cache "$CACHE" --out-dir "runs/$PRESET-$run" --preset "$PRESET" \
    --seed "$SEED" --time-budget-s "$BUDGET" --eval-every-s "$EVAL_EVERY" --threads "$THREADS" --workers "$WORKERS" \
    --val-games "$VAL_GAMES" --max-tokens "$MAX_TOKENS" --lr "$LR" --resume $extra >> "runs/$PRESET-$run.log" 2>&1
  if [ "${CALIBRATE:-1}" = 1 ]; then
    steps=thresholds,judge,trust
    [ "$run" = causal ] && steps=thresholds
    "$PY" -m gofix.cli calibrate "runs/$PRESET-$run/last.pt" --data "$CORPUS" --steps "$steps" --force \
      >> "runs/$PRESET-$run.log" 2>&1
  fi
done
