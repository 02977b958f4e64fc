"""Model-agnostic training loop: seeded, resumable, time-budgeted, DDP-ready; prints nothing.

``train(cfg, callbacks)`` runs until ``max_steps`` or ``time_budget_s``,
validates every ``eval_every_s`` seconds (and at the end) on a fixed slice of
the validation split, and writes ``last.pt`` (with optimizer and RNG state, for
``resume``) and ``best.pt`` (best validation score: the tagger's F0.5, the
encoder-decoder's -loss) under ``out_dir`` atomically. Progress goes to the callbacks: any object with some of
``on_step(info)``, ``on_eval(info)``, ``on_checkpoint(path, info)``.

Under ``torchrun --nproc_per_node N`` (env WORLD_SIZE > 1) it joins a process
group (gloo on CPU, nccl on GPU), wraps the model in DDP and shards the games
by rank; rank 0 validates and writes checkpoints. ``python -m gofix.train.loop
--help`` is a thin command line over ``train`` that logs one line per event; ``plan`` checks its
options as it checks `gofix train`'s.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from gofix.models import TRAINABLE, checkpoint
from gofix.models.encoding import IGNORE
from .corrupt import MIXES
from .data import GameCache, TaggingStream, fixed_batches
from gofix.errors import NoGamesError


@dataclass
class TrainConfig:
    cache: str = "cache/pro19.npz"  # data.build_cache output
    out_dir: str = "runs/default"  # checkpoints go here
    model: str = "birnn"  # models.TRAINABLE: birnn (the tagger) | seq2seq (the encoder-decoder)
    preset: str = "default"  # the model module's PRESETS
    causal: bool = False  # left-context ablation
    seed: int = 0  # everything random derives from it
    lr: float = 1e-3  # AdamW peak learning rate
    weight_decay: float = 0.01  # AdamW weight decay
    warmup_steps: int = 200  # linear warm-up
    clip: float = 1.0  # gradient norm clip
    max_tokens: int = 4096  # padded moves per batch (per rank)
    max_steps: int = 0  # 0: no step limit
    time_budget_s: float = 0.0  # 0: no time limit; cosine decay follows time when set
    eval_every_s: float = 300.0  # validation + checkpoint period
    val_games: int = 300  # fixed validation slice (first games of the val split)
    max_errors: int = 3  # errors per corrupted game drawn in 1..max_errors
    clean_share: float = 0.1  # share of training games left clean
    threads: int = 0  # 0: cores available / local ranks (minus data workers)
    workers: int = 0  # DataLoader processes preparing batches (0: in the training process)
    train_limit: int = 0  # 0: every training game; else the first n (tests)
    resume: bool = False  # continue from out_dir/last.pt
    init_from: str = ""  # start from this checkpoint's weights and model config (fine-tuning); fresh optimizer
    pipeline: str = "cpu"  # training batches: cpu (data.TaggingStream in --workers processes) | tensor (tensor_data: replay + encoding in bulk on the training device, --workers only corrupt)
    chunk_games: int = 2048  # --pipeline tensor: games replayed at once (thousands on a GPU; inline, 128 gives TaggingStream's batches exactly)
    mix: str = "default"  # training errors: corrupt.MIXES (default | real: order errors and late errors up-weighted); validation keeps the default
    overrides: dict = field(default_factory=dict)  # model config fields to replace


def budget_seconds(text: str) -> float:
    """A time budget as given on the command line: '45m', '2h', '90s' or a plain number of seconds.
    Raises ValueError for anything else."""
    t = text.strip().lower()
    scale = {"s": 1, "m": 60, "h": 3600}.get(t[-1:], None)
    try:
        return float(t[:-1]) * scale if scale else float(t)
    except ValueError:
        raise ValueError(f"time budget {text!r} is not like 30m, 2h or 900") from None


def plan(cfg: TrainConfig, time_budget: str | None = None) -> list[TrainConfig]:
    """The runs ``cfg`` asks for, its options checked together first: the one check of `gofix train`
    and of ``python -m gofix.train.loop``, raising ValueError with the reason in the command line's
    words. ``cfg.model`` all: the tagger then the encoder-decoder, the time budget split between
    them, into OUT/birnn and OUT/seq2seq. ``time_budget`` (as ``budget_seconds`` reads it), when
    given, replaces ``cfg.time_budget_s``."""
    if cfg.model not in ("birnn", "seq2seq", "all"):
        raise ValueError(f"model must be birnn, seq2seq or all, not {cfg.model!r}")
    if cfg.causal and cfg.model != "birnn":
        raise ValueError("--causal is the tagger's ablation: use it with --model birnn")
    if cfg.init_from and cfg.model == "all":
        raise ValueError("--init-from names one model's checkpoint: use it with --model birnn or seq2seq")
    budget = budget_seconds(time_budget) if time_budget is not None else cfg.time_budget_s
    if cfg.mix not in MIXES:
        raise ValueError(f"unknown error mix {cfg.mix!r}; known: {', '.join(sorted(MIXES))}")
    if cfg.pipeline not in ("cpu", "tensor"):
        raise ValueError(f"pipeline must be cpu or tensor, not {cfg.pipeline!r}")
    if cfg.pipeline == "tensor" and cfg.model != "birnn":
        raise ValueError("--pipeline tensor feeds the tagger: use it with --model birnn")
    if cfg.model != "all":
        return [replace(cfg, time_budget_s=budget)]
    return [replace(cfg, model=kind, out_dir=str(Path(cfg.out_dir) / kind), time_budget_s=budget / 2)
            for kind in ("birnn", "seq2seq")]


# ---------------------------------------------------------------- metrics


@torch.no_grad()
def evaluate(model, batches, threshold: float = 0.5) -> dict:
    """Loss and detection figures of ``model`` on fixed ``(inputs, targets)`` batches.

    precision/recall/f05: flagged moves (p_wrong >= threshold) vs wrong moves;
    top_flag: share of corrupted games whose most suspect move is wrong;
    clean_flagged: share of clean games with any flag; recall_at_1pct: recall
    at the threshold that flags 1% of correct moves; point_top1: replaced moves
    whose correct point is the top point class (window cell or "outside");
    point_top1_window: the same over replaced moves whose point is in the window;
    edit_acc: wrong moves whose edit class is the top one.
    """
    was = model.training
    model.eval()
    loss_sum, n_b = 0.0, 0
    ps, ws = [], []
    top_hit = top_n = clean_f = clean_n = 0
    pt_hit = pt_n = pw_hit = pw_n = ed_hit = ed_n = 0
    for inputs, targets in batches:
        out, loss = model(inputs, targets)
        loss_sum += float(loss)
        n_b += 1
        mask = inputs["mask"]
        p = torch.sigmoid(out["wrong"]).masked_fill(~mask, -1.0)
        w = targets["wrong"]
        ps.append(p[mask])
        ws.append(w[mask])
        top = p.argmax(1)
        hit = w.gather(1, top[:, None]).squeeze(1) == 1
        cor = targets["corrupted"]
        top_hit += int((hit & cor).sum())
        top_n += int(cor.sum())
        clean_f += int(((p >= threshold).any(1) & ~cor).sum())
        clean_n += int((~cor).sum())
        pt = targets["point"]
        sel = pt != IGNORE
        if sel.any():
            best = out["point"].argmax(-1)
            pt_hit += int((best[sel] == pt[sel]).sum())
            pt_n += int(sel.sum())
            inw = sel & (pt < out["point"].shape[-1] - 1)
            pw_hit += int((best[inw] == pt[inw]).sum())
            pw_n += int(inw.sum())
        sel = w == 1
        ed_hit += int((out["edit"].argmax(-1)[sel] == targets["edit"][sel]).sum())
        ed_n += int(sel.sum())
    model.train(was)
    p, w = torch.cat(ps), torch.cat(ws)
    flagged, wrong = p >= threshold, w == 1
    tp = int((flagged & wrong).sum())
    prec = tp / max(int(flagged.sum()), 1)
    rec = tp / max(int(wrong.sum()), 1)
    f05 = 1.25 * prec * rec / (0.25 * prec + rec) if prec + rec > 0 else 0.0
    neg = p[~wrong]
    thr1 = float(torch.quantile(neg, 0.99)) if len(neg) else 1.0
    return {
        "loss": loss_sum / max(n_b, 1), "precision": prec, "recall": rec, "f05": f05,
        "recall_at_1pct": float((p[wrong] > thr1).float().mean()) if wrong.any() else 0.0,
        "top_flag": top_hit / max(top_n, 1), "clean_flagged": clean_f / max(clean_n, 1),
        "point_top1": pt_hit / max(pt_n, 1), "point_top1_window": pw_hit / max(pw_n, 1),
        "edit_acc": ed_hit / max(ed_n, 1), "moves": len(p), "wrong_moves": int(wrong.sum()),
        "p_std": float(p.std()) if len(p) > 1 else 0.0,  # ~0 means a collapsed detector
    }


@torch.no_grad()
def evaluate_seq2seq(model, batches) -> dict:
    """Loss and next-move accuracy of the encoder-decoder on fixed batches (teacher forcing).

    token_acc: clean moves predicted exactly (colour and point) given the
    clean moves before them; repair_acc: the same over clean moves that differ
    from the observed move at the same index (where copying is wrong);
    copy_acc over those that match. ``score`` (= -loss) picks ``best.pt``.
    """
    from gofix.models.seq2seq import N_POINTS

    was = model.training
    model.eval()
    loss_sum = 0.0
    hit = n = rhit = rn = chit = cn = 0
    for inputs, targets in batches:
        out, loss = model(inputs, targets)
        loss_sum += float(loss)
        clean = targets["clean"]
        valid = clean != IGNORE
        pred = out["colour"].argmax(-1) * N_POINTS + out["point"].argmax(-1)
        ok = (pred == clean) & valid
        T = min(clean.shape[1], inputs["points"].shape[1])
        seen = inputs["colours"][:, :T] * N_POINTS + inputs["points"][:, :T]
        same = torch.zeros_like(valid)
        same[:, :T] = (seen == clean[:, :T]) & inputs["mask"][:, :T]
        diff = valid & ~same
        hit += int(ok.sum()); n += int(valid.sum())
        rhit += int((ok & diff).sum()); rn += int(diff.sum())
        chit += int((ok & same).sum()); cn += int(same.sum())
    model.train(was)
    loss = loss_sum / max(len(batches), 1)
    return {"loss": loss, "score": -loss, "token_acc": hit / max(n, 1), "repair_acc": rhit / max(rn, 1),
            "copy_acc": chit / max(cn, 1), "moves": n, "differing_moves": rn}


# ---------------------------------------------------------------- the loop


def _to(batch, device):
    inputs, targets = batch
    return ({k: v.to(device) for k, v in inputs.items()}, {k: v.to(device) for k, v in targets.items()})


def _lr(cfg: TrainConfig, step: int, elapsed: float) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if cfg.time_budget_s > 0:
        frac = elapsed / cfg.time_budget_s
    elif cfg.max_steps > 0:
        frac = step / cfg.max_steps
    else:
        return cfg.lr
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


def _as(x, fn):
    if isinstance(x, (list, tuple)):
        return type(x)(_as(v, fn) for v in x)
    if isinstance(x, dict):
        return {k: _as(v, fn) for k, v in x.items()}
    return fn(x)


def _to_numpy(x):
    return x.numpy() if isinstance(x, torch.Tensor) else x


def _to_tensor(x):
    return torch.from_numpy(x) if isinstance(x, np.ndarray) else x


class _NumpyStream(torch.utils.data.IterableDataset):
    """The stream's batches as numpy arrays, so that they cross to the trainer pickled in the pipe."""

    def __init__(self, stream):
        self.stream = stream

    def __iter__(self):
        for batch in self.stream:
            yield _as(batch, _to_numpy)


def _identity(batch):
    return batch


def _worker_stream(stream, workers: int):
    """Batches made by ``workers`` DataLoader processes.

    torch would send a worker's tensors as file descriptors over a Unix socket that multiprocessing
    makes under the temp folder; a socket path is limited to 107 bytes, so under a long $TMPDIR the
    worker's send fails in a background thread and training waits forever. The batches cross as
    numpy arrays in the pipe instead (small batches: the copy costs little) and become tensors here.
    """
    loader = torch.utils.data.DataLoader(_NumpyStream(stream), batch_size=None, num_workers=workers,
                                         prefetch_factor=4, worker_init_fn=_one_thread, collate_fn=_identity)
    return (_as(batch, _to_tensor) for batch in loader)


def _one_thread(_worker_id: int) -> None:
    torch.set_num_threads(1)


def _emit(callbacks, name: str, *args) -> None:
    for cb in callbacks:
        fn = getattr(cb, name, None)
        if fn is not None:
            fn(*args)


RUN_FIGURES = ("loss", "precision", "recall", "f05", "top_flag", "clean_flagged", "recall_at_1pct",
               "point_top1", "edit_acc", "score")  # validation figures kept per run in the history


def past_runs(init: dict, init_path: str) -> list[dict]:
    """The training history of the weights in ``init`` (a checkpoint dict), oldest run first.

    A checkpoint written before histories were kept takes the ``history`` of its
    model card (``init_path`` with ``.json``) when there is one, else one entry
    rebuilt from its training config and last metrics (``"rebuilt": True``;
    device unknown).
    """
    if init.get("history"):
        return [dict(r) for r in init["history"]]
    card = os.path.splitext(str(init_path))[0] + ".json"  # a shipped checkpoint's model card may hold it
    if os.path.exists(card):
        try:
            with open(card, encoding="utf-8") as f:
                runs = json.load(f).get("history")
        except (OSError, ValueError, AttributeError):
            runs = None
        if isinstance(runs, list) and runs:
            return [dict(r) for r in runs]
    tc, m = init.get("train_config") or {}, init.get("metrics") or {}
    return [{"run": os.path.basename(str(tc.get("out_dir", init_path))), "rebuilt": True, "device": None,
             "init_from": tc.get("init_from") or None, "lr": tc.get("lr"), "max_tokens": tc.get("max_tokens"),
             "steps": int(init.get("step", 0)), "moves_seen": int(m.get("moves_seen", 0)),
             "elapsed_s": round(float(m.get("elapsed_s", 0.0)), 1),
             "validation": {k: m[k] for k in RUN_FIGURES if k in m}}]


def _open_run(history: list[dict], cfg: TrainConfig, device, world: int, step: int, elapsed0: float) -> dict:
    """A new history entry for this invocation (a resumed run gets one per invocation), appended."""
    if device.type == "cuda":
        name = f"{world} x {torch.cuda.get_device_name(device)}"
    else:
        name = f"cpu, {torch.get_num_threads()} thread(s) x {world}"
    run = {"run": os.path.basename(os.path.normpath(cfg.out_dir)), "device": name,
           "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "init_from": cfg.init_from or None,
           "resumed": bool(step), "lr": cfg.lr, "max_tokens": cfg.max_tokens, "seed": cfg.seed,
           "first_step": step, "elapsed_at_start": round(elapsed0, 1), "steps": 0, "moves_seen": 0,
           "elapsed_s": 0.0, "validation": {}}
    history.append(run)
    return run


def train(cfg: TrainConfig, callbacks=(), *, cache: GameCache | None = None) -> dict:
    """Train the model ``cfg`` names; returns the last validation figures (rank 0) or {}."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    cuda = torch.cuda.is_available()
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    cores = len(os.sched_getaffinity(0)) // local_world
    torch.set_num_threads(cfg.threads or max(1, cores - cfg.workers))
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)

    if cfg.model not in TRAINABLE:
        raise ValueError(f"unknown model {cfg.model!r}; known: {sorted(TRAINABLE)}")
    module, model_cls = TRAINABLE[cfg.model]
    overrides = dict(cfg.overrides)
    if cfg.causal:
        if cfg.model != "birnn":
            raise ValueError("--causal is the tagger's left-context ablation; the encoder-decoder has none")
        overrides["causal"] = True
    last_path = os.path.join(cfg.out_dir, "last.pt")
    init = None
    if cfg.init_from and not (cfg.resume and os.path.exists(last_path)):
        init = checkpoint.read(cfg.init_from)
        if init["model_kind"] != model_cls.KIND:
            raise ValueError(f"--init-from {cfg.init_from}: holds a {init['model_kind']}, not a {model_cls.KIND}")
        config_cls = type(next(iter(module.PRESETS.values())))  # --preset does not matter here
        mcfg = config_cls.from_dict({**init["model_config"], **overrides})
    else:
        mcfg = module.preset(cfg.preset, **overrides)
    model = model_cls(mcfg).to(device)
    if init is not None:
        try:
            missing, unexpected = model.load_state_dict(init["state_dict"], strict=False)
        except RuntimeError as exc:  # a changed architecture field in --set
            raise ValueError(f"--init-from {cfg.init_from}: weights do not fit the model config ({exc})") from None
        new_parts = getattr(module, "NEW_PARTS", ())
        left = [k for k in missing if not k.startswith(new_parts)]
        if left or unexpected:
            raise ValueError(f"--init-from {cfg.init_from}: weights do not fit the model config "
                             f"(missing {left[:4]}, unexpected {unexpected[:4]})")
    history = past_runs(init, cfg.init_from) if init is not None else []
    validate = evaluate if cfg.model == "birnn" else evaluate_seq2seq
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step, elapsed0, best = 0, 0.0, -1e9
    if cfg.resume and os.path.exists(last_path):
        ck = checkpoint.read(last_path)
        model.load_state_dict(ck["state_dict"])
        if ck.get("optimizer"):  # a shipped or best.pt checkpoint has none: Adam starts afresh
            opt.load_state_dict(ck["optimizer"])
        step = ck["step"]
        elapsed0 = float(ck["metrics"].get("elapsed_s", 0.0))
        best = float(ck["metrics"].get("best_score", -1e9))
        if ck.get("rng"):
            torch.set_rng_state(ck["rng"]["torch"])
        history = list(ck.get("history") or [])
        if (cfg.time_budget_s and elapsed0 >= cfg.time_budget_s) or (cfg.max_steps and step >= cfg.max_steps):
            from gofix.errors import BudgetSpentError

            spent = (f"{elapsed0:.0f} s of its {cfg.time_budget_s:.0f} s time budget"
                     if cfg.time_budget_s and elapsed0 >= cfg.time_budget_s else f"{step} of its {cfg.max_steps} steps")
            raise BudgetSpentError(f"{last_path} has trained {spent} already (step {step}): nothing left to train; "
                                   "give a larger budget (it counts the time already trained) to go on")
    ddp = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model

    cache = cache if cache is not None else GameCache.load(cfg.cache)
    train_games = cache.indices("train")
    if cfg.train_limit:
        train_games = train_games[: cfg.train_limit]
    if len(train_games) == 0:  # the stream would wait forever for a first batch
        raise NoGamesError(f"no usable games in {cfg.cache} (19x19, legal, 30+ moves, split train)")
    if cfg.pipeline not in ("cpu", "tensor"):
        raise ValueError(f"unknown pipeline {cfg.pipeline!r}; known: cpu, tensor")
    board = bool(getattr(mcfg, "board_dim", 0))  # a tagger with the whole-board view reads the whole board
    stream = TaggingStream(cache, train_games, window=mcfg.window, history=mcfg.history, board=board,
                           seed=cfg.seed * 1_000_003 + step, rank=rank, world=world,
                           max_tokens=cfg.max_tokens, max_errors=cfg.max_errors, clean_share=cfg.clean_share,
                           mix=cfg.mix)
    if cfg.pipeline == "tensor":  # the same batches, replayed and encoded on the device
        from .tensor_data import TensorTaggingStream

        stream = iter(TensorTaggingStream(cache, train_games, device=device, workers=cfg.workers,
                                          chunk=cfg.chunk_games, window=mcfg.window, history=mcfg.history,
                                          seed=cfg.seed * 1_000_003 + step, rank=rank, world=world,
                                          max_tokens=cfg.max_tokens, max_errors=cfg.max_errors,
                                          clean_share=cfg.clean_share, mix=cfg.mix, board=board))
    elif cfg.workers:
        stream = _worker_stream(stream, cfg.workers)
    else:
        stream = iter(stream)
    val = []
    if rank == 0:
        vg = cache.indices("val")[: cfg.val_games]
        val = fixed_batches(cache, vg, window=mcfg.window, history=mcfg.history, max_tokens=cfg.max_tokens,
                            board=board)

    run = _open_run(history, cfg, device, world, step, elapsed0)
    t0 = time.monotonic()
    last_eval = t0
    metrics: dict = {}
    moves_seen = 0
    model.train()
    while True:
        elapsed = elapsed0 + time.monotonic() - t0
        flags = torch.tensor([
            float((cfg.max_steps and step >= cfg.max_steps) or (cfg.time_budget_s and elapsed >= cfg.time_budget_s)),
            float(time.monotonic() - last_eval >= cfg.eval_every_s),
        ], device=device)
        if world > 1:
            dist.all_reduce(flags, op=dist.ReduceOp.MAX)  # rank 0's clock decides for everyone
        stop, do_eval = bool(flags[0]), bool(flags[1])
        if do_eval or stop:
            last_eval = time.monotonic()
            if rank == 0:
                metrics = validate(model, [_to(b, device) for b in val]) if val else {}
                metrics.update(step=step, elapsed_s=elapsed, moves_seen=moves_seen * world)
                _emit(callbacks, "on_eval", dict(metrics))
                score = metrics.get("score", metrics.get("f05", 0.0))
                rng = {"torch": torch.get_rng_state()}
                run.update(steps=step - run["first_step"], moves_seen=moves_seen * world,
                           elapsed_s=round(elapsed - run["elapsed_at_start"], 1),
                           validation={k: metrics[k] for k in RUN_FIGURES if k in metrics})
                if score > best:
                    best = score
                    path = os.path.join(cfg.out_dir, "best.pt")
                    checkpoint.save(path, checkpoint.make(model, train_config=asdict(cfg), step=step, metrics=metrics,
                                                           history=history))
                    _emit(callbacks, "on_checkpoint", path, dict(metrics))
                metrics["best_score"] = best
                checkpoint.save(last_path, checkpoint.make(model, train_config=asdict(cfg), step=step,
                                                           metrics=metrics, optimizer=opt.state_dict(), rng=rng,
                                                           history=history))
                _emit(callbacks, "on_checkpoint", last_path, dict(metrics))
            if world > 1:
                dist.barrier()
            if stop:
                break
        inputs, targets = _to(next(stream), device)
        for g in opt.param_groups:
            g["lr"] = _lr(cfg, step, elapsed)
        _, loss = ddp(inputs, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        step += 1
        n = int(inputs["mask"].sum())
        moves_seen += n
        _emit(callbacks, "on_step", {"step": step, "loss": float(loss.detach()), "lr": opt.param_groups[0]["lr"],
                                     "grad_norm": float(gnorm), "moves": n, "elapsed_s": elapsed,
                                     "rank": rank})
    if world > 1:
        dist.destroy_process_group()
    return metrics


# ---------------------------------------------------------------- command line


class LogLines:
    """A callback that writes one line per event to a text stream (the CLI's logger)."""

    def __init__(self, stream, every: int = 50):
        self.stream, self.every = stream, every
        self._t, self._moves = time.monotonic(), 0

    def on_step(self, info: dict) -> None:
        self._moves += info["moves"]
        if info["rank"] == 0 and info["step"] % self.every == 0:
            now = time.monotonic()
            rate = self._moves / max(now - self._t, 1e-9)
            self._t, self._moves = now, 0
            self.stream.write(f"step {info['step']} loss {info['loss']:.4f} lr {info['lr']:.2e} "
                              f"gnorm {info['grad_norm']:.2f} moves/s {rate:.0f} t {info['elapsed_s']:.0f}s\n")
            self.stream.flush()

    def on_eval(self, info: dict) -> None:
        self.stream.write("eval " + json.dumps({k: round(v, 4) if isinstance(v, float) else v
                                                for k, v in info.items()}) + "\n")
        self.stream.flush()

    def on_checkpoint(self, path: str, info: dict) -> None:
        self.stream.write(f"checkpoint {path} step {info.get('step')}\n")
        self.stream.flush()


def parse_args(argv=None) -> TrainConfig:
    ap = argparse.ArgumentParser(prog="python -m gofix.train.loop", description="Train the tagger or the encoder-decoder.")
    for f in fields(TrainConfig):
        if f.name == "overrides":
            ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                            help="model config field to replace, e.g. --set hidden=256")
        elif f.type in ("bool", bool):
            ap.add_argument(f"--{f.name.replace('_', '-')}", action="store_true")
        else:
            typ = {"int": int, "float": float, "str": str}[f.type if isinstance(f.type, str) else f.type.__name__]
            ap.add_argument(f"--{f.name.replace('_', '-')}", type=typ, default=f.default)
    ns = vars(ap.parse_args(argv))
    overrides = {}
    for item in ns.pop("set"):
        k, v = item.split("=", 1)
        overrides[k] = json.loads(v)
    cfg = TrainConfig(**ns, overrides=overrides)
    try:
        plan(cfg)  # the options `gofix train` refuses, refused here too
    except ValueError as exc:
        ap.error(str(exc))
    return cfg


def main(argv=None) -> None:
    import sys

    for cfg in plan(parse_args(argv)):
        train(cfg, [LogLines(sys.stdout)])


if __name__ == "__main__":
    main()
