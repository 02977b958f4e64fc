#!/usr/bin/env bash
# After new weights are shipped (scripts/ship_weights.py): their model card made again (`gofix
# calibrate`: thresholds, the judge's fit, change_trust) and every figure of the README that depends
# on the shipped tagger measured again, two lanes at once (this machine has 2 cores), each command's
# output in $DIR/NAME.log. The card comes first in lane 1 (the judge's weights and knots live in it,
# fitted to the tagger's outputs; compare and reconcile read them).
#
#   scripts/measure_shipped.sh [DIR]      # default runs/measure-YYYYMMDD-HHMM
#
# About 15 minutes on 2 cores before `gofix calibrate` took the place of judge_train.py,
# judge_eval.py --fit and repair_calibration.py (stop 18: the shipped weights, CARD=a copy of the card:
# every figure came out as the README has it); the thresholds are now measured again too (same seeds:
# the same values). `gofix check` of the demo and `gofix reconcile` exit 1 by design (a finding;
# records that differ). The README is then updated by hand from the logs.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
GOFIX=${GOFIX:-.venv/bin/gofix}
CORPUS=${CORPUS:-../shared/corpus/pro-games.tar.gz}
MODEL=${MODEL:-gofix/weights/tagger.pt}
CARD=${CARD:-gofix/weights/tagger.json}  # the model card gofix calibrate writes (--force: it replaces it)
JUDGE_DATA=${JUDGE_DATA:-cache/pro19.npz}  # the judge's games (as judge_eval.py reads them), else the corpus
[ -f "$JUDGE_DATA" ] || JUDGE_DATA=$CORPUS
DIR=${1:-runs/measure-$(date +%Y%m%d-%H%M)}
mkdir -p "$DIR"
export PYTHONUNBUFFERED=1

step() {  # NAME COMMAND...: run, log, say how long it took
    local name=$1
    shift
    local t0=$SECONDS
    "$@" > "$DIR/$name.log" 2>&1
    echo "$name: exit $?, $((SECONDS - t0)) s" | tee -a "$DIR/steps.txt"
}

lane1() {
    step calibrate "$GOFIX" calibrate "$MODEL" --data "$CORPUS" --judge-data "$JUDGE_DATA" --card "$CARD" --force
    step judge_eval "$PY" scripts/judge_eval.py --games 300 --skip 200 --seed 2
    step compare_eval "$PY" scripts/compare_eval.py --games 200 --skip 500 --seed 3
    step judge_real "$PY" scripts/judge_real.py --compare
    step eval_test_400 "$GOFIX" eval "$CORPUS" --split test --seed 0 --limit 400
    step reconcile "$GOFIX" reconcile "$CORPUS" --out "$DIR/reconciled" --jobs 1
}

lane2() {
    step eval_val_400 "$GOFIX" eval "$CORPUS" --split val --seed 0 --limit 400
    step eval_val_400_real "$GOFIX" eval "$CORPUS" --split val --seed 0 --limit 400 --mix real --no-seq2seq
    step eval_test_1000 "$GOFIX" eval "$CORPUS" --split test --seed 0 --limit 1000 --no-seq2seq
    step eval_val_1000 "$GOFIX" eval "$CORPUS" --split val --seed 0 --limit 1000 --no-seq2seq
    step real_dev "$PY" scripts/real_dev.py --synthetic-games 300 --json "$DIR/real_dev.json"
    step ablate "$PY" scripts/ablate_repair.py --games 1000 --seed 2
    step demo "$GOFIX" check data/demo.sgf
    step bench_check "$PY" scripts/bench.py check --games 150
}

lane1 &
lane2 &
wait
echo "logs in $DIR"
