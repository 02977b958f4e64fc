"""How close bfloat16 comes to KataGo's own output, whole or mixed with float32 (docs/engine.md, "Speed").

    python research/engine/bf16_mix.py [--network ../shared/katago/b10c384h6nbttflrs.bin.gz]

On the 340 positions of ``tests/data/katago_reference.json.gz``: the agreement measures of
``gofix.engine.reference.compare`` (top move identical, mean and worst KL(KataGo || gofix), worst
win-rate difference) and positions/s, for float32, bfloat16, and the trunk's blocks in bfloat16
with the rest in float32 (all blocks, all but the last, all but the last two). A probe: nothing in
gofix runs the mixed forms.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from gofix.engine.engine import Engine
from gofix.engine.reference import compare, load_reference

REPO = Path(__file__).resolve().parent.parent.parent


class _InBfloat16(torch.nn.Module):
    """A trunk block run in bfloat16 between float32 neighbours."""

    def __init__(self, block):
        super().__init__()
        self.block = block.to(torch.bfloat16)

    def forward(self, x, mask, mask_sum, ctx):
        inner = ctx.setdefault("bfloat16", {})  # the block's own caches, in its dtype
        return self.block(x.to(torch.bfloat16), mask.to(torch.bfloat16), mask_sum.to(torch.bfloat16), inner).float()


def mixed(engine: Engine, keep: int) -> Engine:
    """``engine`` (float32) with all trunk blocks but the last ``keep`` in bfloat16."""
    blocks = list(engine.net.blocks)
    n = len(blocks) - keep
    engine.net.blocks = torch.nn.ModuleList([_InBfloat16(b) for b in blocks[:n]] + blocks[n:])
    return engine


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", type=Path, default=REPO.parent / "shared" / "katago" / "b10c384h6nbttflrs.bin.gz")
    ap.add_argument("--fixture", type=Path, default=REPO / "tests" / "data" / "katago_reference.json.gz")
    args = ap.parse_args(argv)
    Engine.threads()
    games = load_reference(args.fixture)
    forms = [("float32", lambda: Engine.load(args.network)),
             ("bfloat16", lambda: Engine.load(args.network, dtype="bfloat16"))]
    forms += [(f"blocks in bfloat16 but the last {k}, the rest float32", lambda k=k: mixed(Engine.load(args.network), k))
              for k in (0, 1, 2)]
    for name, make in forms:
        engine = make()
        t0 = time.perf_counter()
        r = compare(engine, games)
        t = time.perf_counter() - t0
        print(f"{name}: top move {r['top1']:.4f}, mean KL {r['kl']:.2e}, worst KL {r['kl_max']:.2e}, "
              f"worst win-rate difference {r['value_max']:.4f}, {r['n']} positions, {r['n'] / t:.1f} positions/s",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
