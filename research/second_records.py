"""Check gofix's changes to real records against second records of the same games.

    python research/real_subset.py /tmp/real3k --games 3000
    gofix clean /tmp/real3k --out /tmp/real3k-out --jobs 2
    python research/second_records.py /tmp/real3k /tmp/real3k-out

For every game ``gofix clean`` changed (``"changed": true`` in DST/report.jsonl),
looks through the corpus for other records of the same game (same opening:
``splits.game_key`` of the first 50 moves, any board symmetry; the record
itself, named in SRC/sources.txt, is left out) and compares their whole main
lines, symmetry-invariantly, with the record as read and with gofix's
repair. A second record that agrees with the record as read is evidence that
the change is damage (or that both copies share one source's error); one that
agrees with the repair is evidence that it is a real repair. Prints one JSON
line per changed game, then a summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    from gofix.record import GameRecord
    from gofix.formats.read import iter_games
    from gofix.train.splits import game_key

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path, help="the folder gofix clean read (with sources.txt from real_subset.py)")
    ap.add_argument("dst", type=Path, help="the folder gofix clean wrote (with report.jsonl)")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    args = ap.parse_args()

    def full_key(moves) -> str:
        return game_key(moves, 19, prefix=max(1, len(moves)))

    members = {}
    sources = args.src / "sources.txt"
    if sources.exists():
        for line in sources.read_text(encoding="utf-8").splitlines():
            name, member = line.split(" ", 1)
            members[name] = member
    changed = []
    for line in (args.dst / "report.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if not entry.get("changed"):
            continue
        src_path = Path(entry["path"])
        rel = src_path.relative_to(args.src) if src_path.is_absolute() else Path(src_path.name)
        before = [g for g in iter_games(args.src / rel) if isinstance(g, GameRecord)][entry["game"]]
        after = [g for g in iter_games(args.dst / rel) if isinstance(g, GameRecord)][entry["game"]]
        changed.append({"file": str(rel), "member": members.get(rel.name), "edits": entry["edits"],
                        "keys": {game_key(before.moves, 19), game_key(after.moves, 19)},
                        "before": full_key(before.moves), "after": full_key(after.moves)})
    wanted: dict[str, list[dict]] = {}
    for c in changed:
        for k in c["keys"]:
            wanted.setdefault(k, []).append(c)
    found: dict[int, list[str]] = {id(c): [] for c in changed}
    for g in iter_games(args.corpus):
        if not isinstance(g, GameRecord) or g.size != 19 or not g.moves:
            continue
        hits = wanted.get(game_key(g.moves, 19))
        if not hits:
            continue
        member = g.source.split("!", 1)[-1]
        key = full_key(g.moves)
        for c in {id(c): c for c in hits}.values():
            if c["member"] is not None and member.endswith(c["member"]):
                continue  # the record itself
            found[id(c)].append("record" if key == c["before"] else "repair" if key == c["after"] else "neither")
    summary = {"changed": len(changed), "with_second_record": 0, "second_agrees_with_record": 0,
               "second_agrees_with_repair": 0}
    for c in changed:
        votes = found[id(c)]
        summary["with_second_record"] += bool(votes)
        summary["second_agrees_with_record"] += "record" in votes
        summary["second_agrees_with_repair"] += "repair" in votes
        print(json.dumps({"file": c["file"], "member": c["member"],
                          "edits": [f"{e['description']} ({e['confidence']:.2f})" for e in c["edits"]],
                          "second_records": votes}, ensure_ascii=False))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
