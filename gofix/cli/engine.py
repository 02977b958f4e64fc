"""`gofix engine info` and `gofix engine fetch`: the KataGo network gofix uses as its board sense."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from gofix.engine import locate
from .common import n, out, refusing

engine_app = typer.Typer(help="The KataGo network gofix uses as its board sense: where it is, how fast it runs.",
                         no_args_is_help=True)


@engine_app.command("info")
def engine_info(
    katago_model: Optional[Path] = typer.Option(None, "--katago-model", help="A KataGo network file (.bin.gz)."),
    positions: int = typer.Option(32, help="Positions to time (0: don't time)."),
) -> None:
    """Say which KataGo network would be used, from where, and how many positions/s it runs here.

    Example: [bold]gofix engine info[/bold]

    Exit codes: 0 a network found; 1 none found; 2 a network file that cannot be read.
    """
    with refusing(locate.NetworkFetchError):
        found = locate.find_network(katago_model)
    if found is None:
        out.print("no KataGo network found (looked at --katago-model, $GOFIX_KATAGO_MODEL, "
                  f"{escape(str(locate.cache_dir()))} and KaTrain's models); `gofix engine fetch` downloads one")
        raise typer.Exit(1)
    from gofix.engine.engine import Engine, time_positions  # torch
    from gofix.engine.modelfile import ModelFileError

    with refusing(ModelFileError):
        engine = Engine.load(found.path)
    d = engine.desc
    out.print(f"network {escape(str(found.path))} (from {found.origin}): {d.name}, format version {d.version}, "
              f"{d.n_params() / 1e6:.1f}M parameters, sha256 {d.sha256[:12]}")
    if positions > 0:
        # bfloat16 on a few positions only: on CPUs without bfloat16 instructions it is many times slower
        for dtype, count in (("float32", positions), ("bfloat16", min(positions, 4))):
            rate = time_positions(Engine(d, dtype=dtype), count)
            out.print(f"{dtype}: {rate:.1f} positions/s ({n(Engine.threads(), 'thread')}, {n(count, 'position')})")


@engine_app.command("fetch")
def engine_fetch() -> None:
    """Download the KataGo network the katrain wheel on PyPI ships into gofix's cache folder.

    Only the wheel is downloaded (nothing is installed); the network's sha256 is checked and
    KataGo's licence notice is written beside it. Example: [bold]gofix engine fetch[/bold]

    Exit codes: 0 the network is ready; 2 it could not be fetched or checked.
    """
    with refusing(locate.NetworkFetchError):
        path = locate.fetch()
    out.print(f"network ready: {escape(str(path))} (licence beside it)")
