#!/usr/bin/env bash
# Every figure of the README that depends on the shipped tagger, measured again after new weights are
# shipped (scripts/ship_weights.py + scripts/calibrate.py): two lanes at once (this machine has 2 cores),
# each command's output in $DIR/NAME.log. The judge is refitted first (its weights and knots live in
# the model card, fitted to the tagger's outputs), and change_trust is rewritten in the card.
#
#   scripts/measure_shipped.sh [DIR]      # default runs/measure-YYYYMMDD-HHMM
#
# About 15 minutes on 2 cores (measured: stop 18, the shipped weights, CARD=a copy of the card: every
# figure came out as the README has it). `gofix check` of the demo and `gofix reconcile` exit 1 by
# design (a finding; records that differ). The README is then updated by hand from the logs.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
GOFIX=${GOFIX:-.venv/bin/gofix}
CORPUS=${CORPUS:-../shared/corpus/pro-games.tar.gz}
CARD=${CARD:-gofix/weights/tagger.json}  # where the judge refit and change_trust go
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
    step judge_train "$PY" scripts/judge_train.py --games 800 --seed 3 --out "$DIR/judge_weights.json"
    step judge_fit "$PY" scripts/judge_eval.py --games 200 --seed 1 --fit --weights "$DIR/judge_weights.json" --card "$CARD"
    step judge_eval "$PY" scripts/judge_eval.py --games 300 --skip 200 --seed 2
    step compare_eval "$PY" scripts/compare_eval.py --games 200 --skip 500 --seed 3
    step judge_real "$PY" scripts/judge_real.py --compare
    step eval_test_400 "$GOFIX" eval "$CORPUS" --split test --seed 0 --limit 400
    step eval_val_1000 "$GOFIX" eval "$CORPUS" --split val --seed 0 --limit 1000 --no-seq2seq
    step reconcile "$GOFIX" reconcile "$CORPUS" --out "$DIR/reconciled" --jobs 1
}

lane2() {
    step repair_calibration "$PY" scripts/repair_calibration.py --games 1000 --seed 2 --card "$CARD"
    step eval_val_400 "$GOFIX" eval "$CORPUS" --split val --seed 0 --limit 400
    step eval_val_400_real "$GOFIX" eval "$CORPUS" --split val --seed 0 --limit 400 --mix real --no-seq2seq
    step eval_test_1000 "$GOFIX" eval "$CORPUS" --split test --seed 0 --limit 1000 --no-seq2seq
    step real_dev "$PY" scripts/real_dev.py --synthetic-games 300 --json "$DIR/real_dev.json"
    step ablate "$PY" scripts/ablate_repair.py --games 1000 --seed 2
    step demo "$GOFIX" check data/demo.sgf
    step bench_check "$PY" scripts/bench_check.py --games 150
}

lane1 &
lane2 &
wait
echo "logs in $DIR"
