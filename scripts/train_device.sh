#!/usr/bin/env bash
# One lent-GPU call, under 10 minutes with its own set-up: build the cache, benchmark both input
# pipelines on the GPU machine, fine-tune the shipped tagger (--init-from gofix/weights/tagger.pt)
# with the tensor pipeline (replay + encoding on CUDA, --pipeline tensor), a checkpoint into $OUT
# every minute (tagger/last.pt with Adam state, tagger/best.pt), validation figures at the end.
#
# The call, from the repository root here, with the parsed cache built here (compressed: the pro corpus
# and the Tom server's 9-dan games, ~31 MB, well inside the 64 MiB that travels; `ls cache/` first):
#
#   python scripts/build_cache.py cache/pro-tom.npz ../shared/corpus/pro-games.tar.gz \
#       ../shared/corpus/server/tom9d_*.tar.gz
#   run(command="CACHE=cache/pro-tom.npz PAIR=1 TOTAL=540 scripts/train_device.sh", carry=["cache/pro-tom.npz"],
#       timeout_s=590)
#
# PAIR=1 trains two taggers at once on the one GPU, each with half the data workers: the shipped one
# fine-tuned as it is ($OUT/tagger) and the same with a whole-board view added ($OUT/tagger-board,
# --set board_dim=64; it starts as the shipped tagger). Same data, same clock: their validation lines
# say whether the view paid. PAIR=0 gives the whole machine to the first.
#
# The pro corpus comes first in that cache, so validation (the first validation-split games) is the
# same 300 pro games as with cache/pro19.npz. ../shared does not travel; without a cache the script
# builds one from cache/pro-games.tar.gz if that was carried (cp ../shared/corpus/pro-games.tar.gz cache/).
#
# No model card here (the call is time-boxed): `python scripts/compare_candidate.py BEST.pt` calibrates the
# candidate afterwards (`gofix calibrate`), and `gofix calibrate CKPT --data ...` makes a card for any of them.
#
# TOTAL bounds the whole script (cache + bench + training + final validation); the training budget is
# what is left of it after the set-up, minus a margin. Rehearsed on CPU at toy scale with:
#
#   OUT=/tmp/rehearse CACHE=/tmp/rehearse/c.npz PY=.venv/bin/python DEVICE=cpu LIMIT=300 TOTAL=120 \
#     BENCH_GAMES=200 BENCH_SECONDS=2 CHUNK=64 WORKERS=1 BENCH_TOKENS=1024,2048 EVAL_EVERY=10 VAL_GAMES=20 \
#     scripts/train_device.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
OUT=${OUT:-runs/device}          # the lent machine's $OUT: what is written here comes back
TOTAL=${TOTAL:-540}              # seconds for the whole script
MARGIN=${MARGIN:-45}             # left after training: final validation, checkpoint, logs
CACHE=${CACHE:-cache/pro19.npz}
LIMIT=${LIMIT:-0}                # games kept in the cache (0: all)
DEVICE=${DEVICE:-cuda}           # the bench's device (training takes cuda when there is one)
CHUNK=${CHUNK:-8192}             # games replayed at once
WORKERS=${WORKERS:-14}           # CPU processes corrupting and labelling games
MAX_TOKENS=${MAX_TOKENS:-}      # padded moves per batch (empty: the fastest of BENCH_TOKENS in the bench, else 16384)
BENCH_TOKENS=${BENCH_TOKENS:-16384,65536}  # batch sizes the bench times the model at
LR=${LR:-1e-3}                   # fine-tuning peak learning rate
MIX=${MIX:-default}              # training errors: corrupt.MIXES (default | real); validation keeps the default
EVAL_EVERY=${EVAL_EVERY:-60}     # validation + checkpoint period, seconds
PAIR=${PAIR:-0}                  # 1: also train, at the same time, the tagger with a whole-board view
BOARD_DIM=${BOARD_DIM:-64}       # its size (--set board_dim=...)
VAL_GAMES=${VAL_GAMES:-300}
BENCH_GAMES=${BENCH_GAMES:-24000}
BENCH_SECONDS=${BENCH_SECONDS:-12}  # per pipeline (0: no bench)
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"

if [ ! -f "$CACHE" ]; then
    CORPUS=${CORPUS:-}
    for c in cache/pro-games.tar.gz shared/corpus/pro-games.tar.gz ../shared/corpus/pro-games.tar.gz; do
        [ -z "$CORPUS" ] && [ -f "$c" ] && CORPUS=$c
    done
    if [ -z "$CORPUS" ]; then
        echo "no corpus: carry cache/pro-games.tar.gz (see the top of $0) or set CORPUS" >&2
        exit 2
    fi
    echo "building $CACHE from $CORPUS"
    "$PY" -c "
import json, sys
from gofix.train.cache import build_cache
limit = int(sys.argv[3]) or None
print(json.dumps(build_cache([sys.argv[2]], sys.argv[1], limit=limit)))
" "$CACHE" "$CORPUS" "$LIMIT" 2>&1 | tee "$OUT/cache.log"
fi
echo "cache ready at ${SECONDS}s"

if [ "$BENCH_SECONDS" != 0 ]; then  # both pipelines on this machine, same run (the GPU figures)
    if [ "$DEVICE" = cuda ]; then nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true; fi
    "$PY" scripts/bench.py pipeline --cache "$CACHE" --device "$DEVICE" --games "$BENCH_GAMES" \
        --chunk "$CHUNK" --max-tokens "${MAX_TOKENS:-16384}" --seconds "$BENCH_SECONDS" --workers "$WORKERS" \
        --model-tokens "$BENCH_TOKENS" 2>&1 | tee "$OUT/bench.log" || echo "bench failed; training goes on"
fi
if [ -z "$MAX_TOKENS" ]; then  # the batch size the model ran fastest at on this machine (the GRU's serial
    # steps over each game cost the same for 50 games or 300, so a GPU wants large batches)
    MAX_TOKENS=$("$PY" -c "
import re, sys
best = (0.0, 16384)
try:
    for line in open(sys.argv[1]):
        m = re.search(r'batches of (\d+) padded moves: ([\d,]+) moves/s', line)
        if m:
            best = max(best, (float(m.group(2).replace(',', '')), int(m.group(1))))
except OSError:
    pass
print(best[1])
" "$OUT/bench.log")
fi
echo "batches of $MAX_TOKENS padded moves"
echo "bench done at ${SECONDS}s"

BUDGET=${BUDGET:-$((TOTAL - SECONDS - MARGIN))}
if [ "$BUDGET" -lt 10 ]; then
    echo "only ${BUDGET}s left for training; stopping" >&2
    exit 3
fi
echo "training for ${BUDGET}s"
train_one() {  # $1: folder under $OUT, $2: its log, $3: data workers, then extra arguments
    local dir=$1 log=$2 workers=$3
    shift 3
    "$PY" -m gofix.train.loop --model birnn --init-from gofix/weights/tagger.pt --cache "$CACHE" --out-dir "$OUT/$dir" \
        --pipeline tensor --chunk-games "$CHUNK" --workers "$workers" --threads 1 --max-tokens "$MAX_TOKENS" \
        --mix "$MIX" --lr "$LR" --warmup-steps 100 --time-budget-s "$BUDGET" --eval-every-s "$EVAL_EVERY" \
        --val-games "$VAL_GAMES" "$@" > "$OUT/$log" 2>&1
}
if [ "$PAIR" = 1 ]; then
    # the same fine-tune twice at once on the one GPU, half the data workers each: as it is, and with the
    # whole-board view added (starting as the same tagger: its projection is zero); same data, same
    # clock, so the validation lines say whether the view paid
    half=$(( WORKERS / 2 > 0 ? WORKERS / 2 : 1 ))
    train_one tagger train.log "$half" &
    pa=$!
    train_one tagger-board train-board.log "$half" --set "board_dim=$BOARD_DIM" &
    pb=$!
    ra=0; rb=0
    wait "$pa" || ra=$?
    wait "$pb" || rb=$?
    echo "exit codes: tagger $ra, tagger-board $rb"
    for log in train.log train-board.log; do
        echo "== $log (last lines)"
        grep -v '^eval ' "$OUT/$log" | tail -n 4
        echo "validation:"
        grep '^eval ' "$OUT/$log" | cut -c1-400
    done
    ls -la "$OUT" "$OUT/tagger" "$OUT/tagger-board" || true
else
    train_one tagger train.log "$WORKERS" || { tail -n 30 "$OUT/train.log"; exit 4; }
    grep -v '^eval ' "$OUT/train.log" | tail -n 4
    echo "validation:"
    grep '^eval ' "$OUT/train.log" | cut -c1-400
    ls -la "$OUT" "$OUT/tagger"
fi
echo "done at ${SECONDS}s"
