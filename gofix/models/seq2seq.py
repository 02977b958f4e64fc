"""Board-aware Transformer encoder-decoder: observed moves in, clean moves out.

Encoder: every observed move is read as the tagger reads it (a small CNN over
the local window of the position, the rule features) plus an embedding of
its absolute point and colour, then a Transformer encoder (self-attention
over both sides). Decoder: the clean sequence, teacher-forced, each token the
sum of a colour, a row, a column and a point embedding plus its position;
causal self-attention, cross-attention to the encoder. Two heads per target
move: colour (2-way) and point (361 board points + pass, the point logits
tied to the point embeddings so nearby points start out similar).

Use (``gofix.repair.rescore``): the likelihood of candidate repairs. ``encode`` runs
once per record, ``prefix`` runs the decoder once over the moves before an
edit and keeps the keys/values of every layer, and ``score`` runs many
candidate continuations against that cache in one batched pass, so a
candidate costs its few changed moves, not a 250-step decode.

``forward(inputs, targets)`` follows the tagger's contract (``encoding.collate``):
targets need ``clean`` ``(B, Tc)`` clean tokens (``colour * 362 + point``,
``IGNORE`` padding).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .encoding import IGNORE, N_BOARD_PLANES, N_INPUT_FEATURES
from .birnn import WindowCNN
from .config import ModelConfig, pick

N_POINTS = 362  # 361 points + pass (also off-board)
BOS = 2 * N_POINTS  # decoder start token


@dataclass
class Seq2SeqConfig(ModelConfig):
    window: int = 9  # local board window read per observed move
    history: int = 5  # previous / next moves drawn as planes
    channels: int = 32  # CNN width
    conv_layers: int = 3
    move_dim: int = 192  # CNN output per move
    n_features: int = N_INPUT_FEATURES
    d_model: int = 192
    heads: int = 6
    enc_layers: int = 3
    dec_layers: int = 2
    ff: int = 768
    dropout: float = 0.1
    max_len: int = 1024  # positions
    causal: bool = False  # unused (the encoder always sees both sides); in the config so shipped checkpoints load

    @property
    def in_planes(self) -> int:
        return N_BOARD_PLANES + self.history * 2


PRESETS: dict[str, Seq2SeqConfig] = {
    "tiny": Seq2SeqConfig(channels=8, conv_layers=2, move_dim=32, d_model=32, heads=2, enc_layers=1, dec_layers=1,
                          ff=64, dropout=0.0),
    "small": Seq2SeqConfig(channels=24, conv_layers=2, move_dim=128, d_model=128, heads=4, enc_layers=2,
                           dec_layers=2, ff=512),
    "default": Seq2SeqConfig(),
}


def preset(name: str, **overrides) -> Seq2SeqConfig:
    """A copy of preset ``name`` with fields replaced. Raises KeyError for an unknown name."""
    return pick(PRESETS, name, **overrides)


class PointEmbedding(nn.Module):
    """Point ids (0..361) -> vectors: row + column + point embeddings (pass has its own)."""

    def __init__(self, d: int):
        super().__init__()
        self.point = nn.Embedding(N_POINTS, d)
        self.row = nn.Embedding(20, d)  # 19 = pass
        self.col = nn.Embedding(20, d)
        nn.init.normal_(self.point.weight, std=0.02)
        nn.init.normal_(self.row.weight, std=0.5)
        nn.init.normal_(self.col.weight, std=0.5)
        idx = torch.arange(N_POINTS)
        self.register_buffer("rows", torch.where(idx < 361, idx // 19, 19), persistent=False)
        self.register_buffer("cols", torch.where(idx < 361, idx % 19, 19), persistent=False)

    def table(self) -> torch.Tensor:
        """(362, d) the vector of every point."""
        return self.point.weight + self.row(self.rows) + self.col(self.cols)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.point(ids) + self.row(self.rows[ids]) + self.col(self.cols[ids])


class Attention(nn.Module):
    def __init__(self, d: int, heads: int, dropout: float):
        super().__init__()
        self.h, self.dk = heads, d // heads
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.o = nn.Linear(d, d)
        self.dropout = dropout

    def split(self, x):
        B, T, _ = x.shape
        return x.view(B, T, self.h, self.dk).transpose(1, 2)

    def keys_values(self, x):
        k, v = self.kv(x).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def forward(self, x, k, v, mask=None):
        """x (B, T, d) attends to k, v (B, H, S, dk); mask bool (B or 1, 1 or H, T, S) True = may attend."""
        q = self.split(self.q(x))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                             dropout_p=self.dropout if self.training else 0.0)
        B, H, T, dk = out.shape
        return self.o(out.transpose(1, 2).reshape(B, T, H * dk))


class EncoderLayer(nn.Module):
    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        d = cfg.d_model
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.att = Attention(d, cfg.heads, cfg.dropout)
        self.ff = nn.Sequential(nn.Linear(d, cfg.ff), nn.GELU(), nn.Linear(cfg.ff, d))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, mask):
        h = self.n1(x)
        k, v = self.att.keys_values(h)
        x = x + self.drop(self.att(h, k, v, mask))
        return x + self.drop(self.ff(self.n2(x)))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        d = cfg.d_model
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_att = Attention(d, cfg.heads, cfg.dropout)
        self.cross = Attention(d, cfg.heads, cfg.dropout)
        self.ff = nn.Sequential(nn.Linear(d, cfg.ff), nn.GELU(), nn.Linear(cfg.ff, d))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, self_mask, mem_kv, mem_mask, past=None):
        """``past``: (k, v) of earlier positions (the cache), prepended to this step's own."""
        h = self.n1(x)
        k, v = self.self_att.keys_values(h)
        new = (k, v)
        if past is not None:
            pk, pv = past
            k = torch.cat([pk.expand(k.shape[0], -1, -1, -1), k], dim=2)
            v = torch.cat([pv.expand(v.shape[0], -1, -1, -1), v], dim=2)
        x = x + self.drop(self.self_att(h, k, v, self_mask))
        x = x + self.drop(self.cross(self.n2(x), *mem_kv, mem_mask))
        return x + self.drop(self.ff(self.n3(x))), new


class Seq2SeqRepairer(nn.Module):
    """The encoder-decoder; see the module doc."""

    KIND = "seq2seq"

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.cnn = WindowCNN(cfg)
        self.pass_vec = nn.Parameter(torch.zeros(cfg.move_dim))
        self.points = PointEmbedding(d)
        self.colours = nn.Embedding(3, d)  # black, white, BOS
        self.pos = nn.Embedding(cfg.max_len, d)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.enc_in = nn.Sequential(nn.Linear(cfg.move_dim + cfg.n_features, d), nn.GELU(), nn.Linear(d, d))
        self.enc = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.enc_layers))
        self.enc_norm = nn.LayerNorm(d)
        self.dec = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.dec_layers))
        self.dec_norm = nn.LayerNorm(d)
        self.point_out = nn.Linear(d, d)
        self.colour_out = nn.Linear(d, 2)
        self.drop = nn.Dropout(cfg.dropout)

    # -------------------------------------------------------------- pieces

    def encode(self, inputs: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder states ``(B, T, d)`` and the key mask ``(B, T)`` of a ``encoding.collate`` batch."""
        cfg = self.cfg
        planes = inputs["planes"][:, : cfg.in_planes].float()
        mask = inputs["mask"]
        B, T = mask.shape
        _, vec = self.cnn(planes)
        vec = torch.where(inputs["on_board"].unsqueeze(1), vec, self.pass_vec.expand_as(vec))
        seq = vec.new_zeros(B, T, cfg.move_dim)
        seq[mask] = vec
        x = self.enc_in(torch.cat([seq, inputs["features"]], dim=-1))
        pts = inputs["points"].clamp(0, N_POINTS - 1)
        col = inputs["colours"].clamp(0, 1)
        x = x + self.points(pts) + self.colours(col) + self.pos(torch.arange(T, device=x.device).clamp(max=cfg.max_len - 1))
        x = self.drop(x)
        am = mask[:, None, None, :]
        for layer in self.enc:
            x = layer(x, am)
        return self.enc_norm(x), mask

    def embed_targets(self, tokens: torch.Tensor, start: int | torch.Tensor = 0) -> torch.Tensor:
        """Decoder inputs for tokens ``(B, L)`` (``BOS`` or ``colour * 362 + point``) at positions ``start..``."""
        L = tokens.shape[1]
        bos = tokens == BOS
        t = tokens.clamp(0, 2 * N_POINTS - 1)
        col = torch.where(bos, 2, t // N_POINTS)
        pt = t % N_POINTS
        pe = torch.where(bos[..., None], 0.0, self.points(pt))
        pos = (torch.arange(L, device=tokens.device) + start).clamp(max=self.cfg.max_len - 1)
        return self.drop(pe + self.colours(col) + self.pos(pos))

    def memory(self, enc: torch.Tensor):
        """Per decoder layer, the cross-attention keys/values of the encoder states."""
        return [layer.cross.keys_values(enc) for layer in self.dec]

    def decode(self, x, mem, mem_mask, past=None):
        """Run the decoder on embedded inputs ``x`` (B, L, d); ``past`` per-layer caches of length P.

        Returns the final states ``(B, L, d)`` and the per-layer (k, v) of these L positions.
        """
        B, L, _ = x.shape
        P = 0 if past is None else past[0][0].shape[2]
        causal = torch.ones(L, P + L, dtype=torch.bool, device=x.device).tril(P)
        self_mask = causal[None, None]
        mm = mem_mask[:, None, None, :]
        news = []
        for k, layer in enumerate(self.dec):
            x, new = layer(x, self_mask, mem[k], mm, None if past is None else past[k])
            news.append(new)
        return self.dec_norm(x), news

    def heads(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Colour logits (…, 2) and point logits (…, 362)."""
        pl = self.point_out(h) @ self.points.table().t() / math.sqrt(self.cfg.d_model)
        return self.colour_out(h), pl

    @staticmethod
    def token_logp(colour_logits, point_logits, tokens):
        """log p(token) for tokens ``(…)`` under factorised colour x point heads."""
        t = tokens.clamp(0, 2 * N_POINTS - 1)
        lc = F.log_softmax(colour_logits, -1).gather(-1, (t // N_POINTS)[..., None]).squeeze(-1)
        lp = F.log_softmax(point_logits, -1).gather(-1, (t % N_POINTS)[..., None]).squeeze(-1)
        return lc + lp

    # -------------------------------------------------------------- training

    def forward(self, inputs: dict, targets: dict | None = None):
        enc, mask = self.encode(inputs)
        out = {"enc": enc}
        if targets is None or "clean" not in targets:
            return out, None
        clean = targets["clean"]  # (B, Tc)
        B, Tc = clean.shape
        dec_in = torch.cat([clean.new_full((B, 1), BOS), clean[:, :-1].clamp(min=0)], dim=1)
        h, _ = self.decode(self.embed_targets(dec_in), self.memory(enc), mask)
        cl, pl = self.heads(h)
        out.update(colour=cl, point=pl)
        valid = clean != IGNORE
        t = clean.clamp(min=0)
        l_col = F.cross_entropy(cl[valid], (t // N_POINTS)[valid])
        l_pt = F.cross_entropy(pl[valid], (t % N_POINTS)[valid])
        return out, l_col + l_pt

    # -------------------------------------------------------------- scoring with a cache

    @torch.no_grad()
    def prefix(self, mem, mem_mask, tokens: torch.Tensor) -> "Prefix":
        """The decoder run once over the clean moves ``tokens`` (1, s) shared by every candidate.

        Caches the keys/values of decoder inputs ``BOS, tokens[:-1]``; the last
        token is kept aside as the first input of each continuation.
        """
        s = tokens.shape[1]
        if s == 0:
            return Prefix(None, tokens.new_full((1, 1), BOS), 0)
        x = torch.cat([tokens.new_full((1, 1), BOS), tokens[:, :-1]], dim=1)
        _, news = self.decode(self.embed_targets(x), mem, mem_mask)
        return Prefix(news, tokens[:, -1:], s)

    @torch.no_grad()
    def score(self, mem, mem_mask, pre: "Prefix", conts: torch.Tensor, lengths: torch.Tensor):
        """log p of each continuation ``conts`` (N, L) (right-padded to ``lengths``) after ``pre``.

        Returns ``(N,)`` sums and the per-token ``(N, L)`` values (0 on padding).
        """
        N, L = conts.shape
        x = self.embed_targets(torch.cat([pre.last.expand(N, 1), conts[:, :-1].clamp(min=0)], dim=1), pre.start)
        mem_b = [(k.expand(N, -1, -1, -1), v.expand(N, -1, -1, -1)) for k, v in mem]
        h, _ = self.decode(x, mem_b, mem_mask.expand(N, -1), pre.caches)
        cl, pl = self.heads(h)
        lp = self.token_logp(cl, pl, conts)
        valid = torch.arange(L, device=conts.device)[None, :] < lengths[:, None]
        lp = lp.masked_fill(~valid, 0.0)
        return lp.sum(1), lp

    @torch.no_grad()
    def next_moves(self, mem, mem_mask, pre: "Prefix") -> tuple[torch.Tensor, torch.Tensor]:
        """log p of the colour (2,) and of the point (362,) of the move after ``pre``."""
        x = self.embed_targets(pre.last, pre.start)
        h, _ = self.decode(x, mem, mem_mask, pre.caches)
        cl, pl = self.heads(h[:, -1])
        return F.log_softmax(cl[0], -1), F.log_softmax(pl[0], -1)


@dataclass
class Prefix:
    caches: list | None  # per decoder layer (k, v) of the shared inputs, or None
    last: torch.Tensor  # (1, 1) the next decoder input (last shared token, or BOS)
    start: int  # its position
