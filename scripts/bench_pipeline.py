"""Training-input throughput: today's CPU pipeline (data.TaggingStream) vs the tensor pipeline (tensor_data).

    python scripts/bench_pipeline.py                                  # CPU, one thread, cache/pro19.npz
    python scripts/bench_pipeline.py --device cuda --chunk 8192 --max-tokens 16384

Prints, for the same games in the same run:

1. where today's per-example time goes, in microseconds of CPU time per move
   (channel = corrupt + labels; replay = encoding.snapshots' and board.replay's;
   features = tokens.move_features; the rest of encode_moves; collate);
2. the tensor pipeline's parts on one chunk, then moves/s of ``TaggingStream``
   and of ``TensorTaggingStream`` on ``--device`` (the CPU work of both in
   this process, or in ``--workers`` processes), timed in alternating slices
   of ``--seconds`` in all each, so that a busy machine weighs on both alike;
3. the model's forward + backward + optimizer step per move (``--preset``,
   ``--device``), i.e. what training would be bound by once the input is free,
   for each batch size of ``--model-tokens`` (on a GPU the bidirectional GRU's
   steps over the game are serial, so larger batches of games amortise them).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from gofix.train import data  # noqa: E402
from gofix.models import encoding
from gofix.rules.board import replay  # noqa: E402
from gofix.coords import transform  # noqa: E402
from gofix.models import birnn  # noqa: E402
from gofix.train.tensor_data import TensorTaggingStream, chunk_batches, encode_chunk, prepare_chunk  # noqa: E402
from gofix.models.tokens import move_features  # noqa: E402


def _one_thread(_worker_id: int) -> None:
    torch.set_num_threads(1)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def breakdown(cache, games, window: int, history: int) -> dict:
    """Microseconds per move of each part of today's make_example + collate: CPU time of this process."""
    rng = random.Random(0)
    channels = data.default_channels()
    parts = dict.fromkeys(("channel", "replay (snapshots)", "replay (features)", "move_features", "encode rest",
                           "tokens", "collate"), 0.0)
    n, exs = 0, []
    for g in games:
        game = cache.game(int(g))
        sym = rng.randrange(8)
        t0 = time.process_time()
        noisy, truths = rng.choice(channels).corrupt(game.moves, encoding.SIZE, rng)
        wrong, edit, point = data.labels_for(noisy, truths, window, sym)
        seen = data.transform_moves(noisy, sym)
        t1 = time.process_time()
        sb = [transform(p, sym, encoding.SIZE) for p in game.setup_black]
        sw = [transform(p, sym, encoding.SIZE) for p in game.setup_white]
        encoding.snapshots(seen, sb, sw)
        t2 = time.process_time()
        rep = replay(encoding.SIZE, seen, setup_black=sb, setup_white=sw, handicap=game.handicap,
                     first_player=game.first_player)
        t3 = time.process_time()
        move_features(encoding.SIZE, seen, rep)
        t4 = time.process_time()
        enc = encoding.encode_moves(seen, setup_black=sb, setup_white=sw, handicap=game.handicap,
                                first_player=game.first_player, window=window, history=history)
        t5 = time.process_time()
        points, colours = encoding.move_tokens(seen)
        encoding.move_tokens(data.transform_moves(game.moves, sym))
        t6 = time.process_time()
        parts["channel"] += t1 - t0
        parts["replay (snapshots)"] += t2 - t1
        parts["replay (features)"] += t3 - t2
        parts["move_features"] += t4 - t3
        parts["encode rest"] += (t5 - t4) - (t4 - t1)  # encode_moves minus its snapshots, replay, features
        parts["tokens"] += t6 - t5
        exs.append({"planes": enc.planes, "on_board": enc.on_board, "features": enc.features, "points": points,
                    "colours": colours, "wrong": wrong, "edit": edit, "point": point})
        n += len(noisy)
    t0 = time.process_time()
    for b in encoding.bucket(exs, 4096):
        encoding.collate(b)
    parts["collate"] += time.process_time() - t0
    return {k: 1e6 * v / n for k, v in parts.items()}


def rates(streams: dict, seconds: float, device: torch.device, rounds: int = 4) -> dict:
    """Moves/s of each iterator of (inputs, targets), timed in alternating slices (a fair share of a busy
    machine); one warm-up batch each first. Returns name -> (moves/s wall, moves per CPU second of this
    process, moves)."""
    its = {k: iter(s) for k, s in streams.items()}
    for it in its.values():
        next(it)
    spent = dict.fromkeys(its, 0.0)
    cpu = dict.fromkeys(its, 0.0)
    moves = dict.fromkeys(its, 0)
    for _ in range(rounds):
        for k, it in its.items():
            sync(device)
            t0, c0 = time.perf_counter(), time.process_time()
            while time.perf_counter() - t0 < seconds / rounds:
                inputs, _ = next(it)
                moves[k] += int(inputs["mask"].sum())
            sync(device)
            spent[k] += time.perf_counter() - t0
            cpu[k] += time.process_time() - c0
    return {k: (moves[k] / spent[k], moves[k] / cpu[k], moves[k]) for k in its}


def tensor_parts(cache, games, device, chunk: int, window: int, history: int, max_tokens: int) -> dict:
    """Moves/s of each part of the tensor pipeline on one chunk (after a warm-up chunk); on CPU per CPU second."""
    clock = time.process_time if device.type == "cpu" else time.perf_counter  # CPU: robust to a busy machine
    rng = random.Random(1)
    channels = data.default_channels()
    out = {}
    for rep in range(2):
        t0 = clock()
        ch = prepare_chunk(cache, games[rep * chunk : (rep + 1) * chunk], rng, channels, window=window,
                           max_len=400, max_tokens=max_tokens)
        t1 = clock()
        enc = encode_chunk(ch, device, window=window, history=history)
        sync(device)
        t2 = clock()
        n = 0
        for inputs, _ in chunk_batches(enc):
            n += int(inputs["mask"].sum())
        sync(device)
        t3 = clock()
        m = len(ch.moves)
        out = {"cpu half (corrupt, label, plan)": m / (t1 - t0), "replay + features": m / (t2 - t1),
               "batches (planes, gather, pad)": n / (t3 - t2), "games": len(ch.length), "moves": m}
    return out


def model_rate(batches, device, preset: str, seconds: float, **overrides) -> float:
    """Training moves/s of the tagger (wall, per CPU second): forward + backward + AdamW step on ``batches``."""
    model = birnn.BiRNNTagger(birnn.preset(preset, **overrides)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batches = [({k: v.to(device) for k, v in i.items()}, {k: v.to(device) for k, v in t.items()})
               for i, t in batches]

    def step(b):
        _, loss = model(*b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step(batches[0])
    sync(device)
    t0, c0, n, k = time.perf_counter(), time.process_time(), 0, 0
    while time.perf_counter() - t0 < seconds:
        b = batches[k % len(batches)]
        step(b)
        n += int(b[0]["mask"].sum())
        k += 1
    sync(device)
    return n / (time.perf_counter() - t0), n / (time.process_time() - c0)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", default="cache/pro19.npz")
    ap.add_argument("--games", type=int, default=4000, help="training games used (the first n)")
    ap.add_argument("--seconds", type=float, default=20.0, help="timing per pipeline")
    ap.add_argument("--chunk", type=int, default=1024, help="games replayed at once by the tensor pipeline")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=0,
                    help="data processes for both pipelines (0: inline; today's as gofix.train.loop runs it)")
    ap.add_argument("--max-tokens", type=int, default=4096)
    ap.add_argument("--preset", default="default")
    ap.add_argument("--model-tokens", default="",
                    help="comma-separated batch sizes (padded moves) for the model's rate (default: --max-tokens)")
    ap.add_argument("--board-dim", type=int, default=0,
                    help="also time the tagger with a whole-board view of this size on the same batches")
    ap.add_argument("--skip-cpu", action="store_true", help="skip today's pipeline (breakdown and rate)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cache = data.GameCache.load(args.cache)
    games = cache.indices("train")[: args.games]
    cfg = birnn.preset(args.preset)
    w, h = cfg.window, cfg.history
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu, {args.threads} thread(s)"
    print(f"games {len(games)} from {args.cache}; device {dev_name}; max_tokens {args.max_tokens}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.skip_cpu:
        bd = breakdown(cache, games[:300], w, h)
        print(f"today's pipeline, CPU us per move ({len(games[:300])} games):")
        for k, v in bd.items():
            print(f"  {k:22s} {v:6.2f}")
        print(f"  {'total':22s} {sum(bd.values()):6.2f}")
    parts = tensor_parts(cache, games, device, min(args.chunk, len(games) // 2), w, h, args.max_tokens)
    print(f"tensor pipeline parts, one chunk of {parts.pop('games')} games / {parts.pop('moves')} moves:")
    for k, v in parts.items():
        print(f"  {k:32s} {v:12,.0f} moves/s")
    where = f"{args.workers} worker processes" if args.workers else "inline"
    streams = {f"TensorTaggingStream on {args.device}, chunk {args.chunk} (CPU half {where})":
               TensorTaggingStream(cache, games, device=device, chunk=args.chunk, window=w, history=h,
                                   max_tokens=args.max_tokens, workers=args.workers)}
    if not args.skip_cpu:
        today = data.TaggingStream(cache, games, window=w, history=h, max_tokens=args.max_tokens)
        if args.workers:
            today = torch.utils.data.DataLoader(today, batch_size=None, num_workers=args.workers, prefetch_factor=4,
                                                worker_init_fn=_one_thread)
        streams[f"TaggingStream (today's, {where})"] = today
    for k, (r, c, n) in rates(streams, args.seconds, device).items():
        print(f"{k}: {r:,.0f} moves/s wall, {c:,.0f} moves per CPU second of this process ({n} moves)")
    sizes = [int(x) for x in args.model_tokens.split(",") if x.strip()] or [args.max_tokens]
    for size in sizes:
        it = iter(TensorTaggingStream(cache, games, device=device, chunk=max(128, size // 20), window=w,
                                      history=h, max_tokens=size, board=bool(args.board_dim)))
        batches = [next(it) for _ in range(8)]
        for dim in ([0, args.board_dim] if args.board_dim else [0]):
            mr, mc = model_rate(batches, device, args.preset, min(args.seconds, 30.0), board_dim=dim)
            name = args.preset + (f" + board view {dim}" if dim else "")
            print(f"model {name} forward+backward+step on {args.device}, batches of {size} padded moves: "
                  f"{mr:,.0f} moves/s wall ({1e6 / mr:.2f} us/move), {mc:,.0f} moves per CPU second of this process")
        del batches, it
        if device.type == "cuda":
            torch.cuda.empty_cache()

if __name__ == "__main__":
    main()
