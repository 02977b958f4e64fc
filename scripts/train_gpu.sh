#!/usr/bin/env bash
# Train the three shipped models at once on one GPU machine (16 cores): the
# tagger (both sides), its left-context ablation, and the encoder-decoder.
# Each run: one process on the GPU + WORKERS data-loader processes that corrupt
# and encode games on the fly. Checkpoints and logs go to OUT_DIR.
#
#   OUT_DIR=runs/gpu BUDGET=480 scripts/train_gpu.sh
#
# KEEP_DIR=dir also copies the checkpoints worth keeping there (flat, for a lent machine's $OUT).
#
# Then the model cards (`gofix calibrate`, CALIBRATE=0 to skip): the tagger's (thresholds, judge,
# trust, and the encoder-decoder's card with it) and the ablation's (thresholds), measured on CAL_DATA
# (default: the corpus when it is here, else the cache), next to the checkpoints kept.
#
# Builds cache/pro19.npz from ../shared/corpus first if it is not there (CORPUS=… to change).
# Fine-tuning the tagger alone with the tensor pipeline (replay + encoding on the GPU) in one
# lent-machine call: scripts/train_device.sh.
set -u
OUT_DIR=${OUT_DIR:-runs/gpu}
BUDGET=${BUDGET:-480}
WORKERS=${WORKERS:-4}
CACHE=${CACHE:-cache/pro19.npz}
PY=${PY:-python3}
CORPUS=${CORPUS:-../shared/corpus/pro-games.tar.gz}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT_DIR"
if [ ! -f "$CACHE" ]; then  # parse the corpus once (about 2 minutes)
    "$PY" -c "import sys, json; from gofix.train.cache import build_cache; print(json.dumps(build_cache(sys.argv[2:], sys.argv[1])))" \
        "$CACHE" "$CORPUS"
fi
# RESUME_FROM=dir: continue from dir/{tagger-last,causal-last,seq2seq-best}.pt (a KEEP_DIR of an earlier run);
# BUDGET then counts the earlier run's training time too.
if [ -n "${RESUME_FROM:-}" ]; then
    for pair in tagger:tagger-last causal:causal-last seq2seq:seq2seq-best; do
        mkdir -p "$OUT_DIR/${pair%%:*}"
        cp "$RESUME_FROM/${pair#*:}.pt" "$OUT_DIR/${pair%%:*}/last.pt"
    done
    EXTRA=(--resume)
else
    EXTRA=()
fi
common=("${EXTRA[@]}" --cache "$CACHE" --time-budget "$BUDGET" --eval-every 120 --val-games 300 --workers "$WORKERS" --threads 1)
$PY -m gofix.train.loop --model birnn --preset default --out-dir "$OUT_DIR/tagger" --lr 2e-3 --max-tokens 16384 \
    --warmup-steps 300 "${common[@]}" >"$OUT_DIR/tagger.log" 2>&1 &
$PY -m gofix.train.loop --model birnn --preset default --causal --out-dir "$OUT_DIR/causal" --lr 2e-3 --max-tokens 16384 \
    --warmup-steps 300 "${common[@]}" >"$OUT_DIR/causal.log" 2>&1 &
$PY -m gofix.train.loop --model seq2seq --preset default --out-dir "$OUT_DIR/seq2seq" --lr 1e-3 --max-tokens 16384 \
    --warmup-steps 500 "${common[@]}" >"$OUT_DIR/seq2seq.log" 2>&1 &
wait
tail -n 4 "$OUT_DIR"/*.log
if [ "${CALIBRATE:-1}" = 1 ]; then  # the model cards, the tagger's and the ablation's at once
    CAL_DATA=${CAL_DATA:-$CORPUS}
    [ -e "$CAL_DATA" ] || CAL_DATA=$CACHE
    $PY -m gofix.cli calibrate "$OUT_DIR/tagger/last.pt" --data "$CAL_DATA" --seq2seq "$OUT_DIR/seq2seq/best.pt" \
        --force >"$OUT_DIR/calibrate-tagger.log" 2>&1 &
    $PY -m gofix.cli calibrate "$OUT_DIR/causal/last.pt" --data "$CAL_DATA" --steps thresholds \
        --force >"$OUT_DIR/calibrate-causal.log" 2>&1 &
    wait
    tail -n 3 "$OUT_DIR"/calibrate-*.log
fi
# what to keep: the tagger and its ablation as they ended (cosine decay), the encoder-decoder's best
if [ -n "${KEEP_DIR:-}" ]; then
    mkdir -p "$KEEP_DIR"
    cp "$OUT_DIR/tagger/last.pt" "$KEEP_DIR/tagger-last.pt"
    cp "$OUT_DIR/causal/last.pt" "$KEEP_DIR/causal-last.pt"
    cp "$OUT_DIR/seq2seq/best.pt" "$KEEP_DIR/seq2seq-best.pt"
    for card in tagger/last:tagger-last causal/last:causal-last seq2seq/best:seq2seq-best; do
        [ -f "$OUT_DIR/${card%%:*}.json" ] && cp "$OUT_DIR/${card%%:*}.json" "$KEEP_DIR/${card#*:}.json"
    done
    cp "$OUT_DIR"/*.log "$KEEP_DIR/"
fi
