"""Where a user's KataGo network comes from, and ``gofix engine fetch``.

In this order (``find_network``): the path given (``--katago-model``); ``$GOFIX_KATAGO_MODEL``;
the network gofix fetched into its cache folder; a KaTrain install (``~/.katrain``, and the
``katrain`` package's ``models/`` folder when that package is importable). None found: ``None``
and gofix works as it did without an engine.

``fetch`` downloads the ``katrain`` wheel from PyPI (no dependencies, nothing installed), takes
the network out of it, checks its sha256 and writes it into the cache folder with KataGo's
licence notice beside it: networks from the KataGo project may be copied and used under that
notice, which must travel with every copy.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from gofix.errors import GofixError

KATRAIN_VERSION = "1.20.0"
NETWORK_NAME = "b10c384h6nbttflrs.bin.gz"
NETWORK_SHA256 = "0ba27eced5180b3e3d0b898b280c541112989765e789d1eb6cd0d31b2b2c1229"
ENV_VAR = "GOFIX_KATAGO_MODEL"
LICENCE = """KataGo network: b10c384h6nbttflrs, as shipped in the katrain {version} wheel on PyPI.

Networks from the KataGo project (https://katagotraining.org, https://github.com/lightvector/KataGo)
are released under a permission notice of the same form as the MIT licence; in substance (the
authoritative text is https://katagotraining.org/network_license/):

Permission is hereby granted, free of charge, to any person obtaining a copy of these neural network
models and associated documentation files (the "Models"), to deal in the Models without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Models, and to permit persons to whom the Models are
furnished to do so, subject to the condition that this permission notice shall be included in all
copies or substantial portions of the Models.

THE MODELS ARE PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE MODELS OR THE USE OR OTHER DEALINGS IN THE MODELS.
"""


class NetworkFetchError(GofixError):
    """The network could not be downloaded or did not check out."""


class EngineChoiceError(GofixError, ValueError):
    """An ``--engine`` other than auto, katago or none, or katago with no network found."""


@dataclass(frozen=True)
class Found:
    path: Path
    origin: str  # "--katago-model", "$GOFIX_KATAGO_MODEL", "gofix cache", "KaTrain"


def cache_dir() -> Path:
    """gofix's cache folder: $XDG_CACHE_HOME/gofix (default ~/.cache/gofix)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gofix"


def _katrain_models() -> list[Path]:
    out = [Path(os.path.expanduser("~")) / ".katrain"]
    try:  # the katrain package's own models folder, without importing it (it pulls in Kivy)
        import importlib.util
        spec = importlib.util.find_spec("katrain")
        if spec and spec.submodule_search_locations:
            out += [Path(p) / "models" for p in spec.submodule_search_locations]
    except (ImportError, ValueError):
        pass
    return out


def find_network(explicit: Optional[str | os.PathLike] = None) -> Optional[Found]:
    """The network to use, or None. An explicit path (or $GOFIX_KATAGO_MODEL) that does not exist raises."""
    if explicit:
        p = Path(explicit).expanduser()
        if not p.is_file():
            raise NetworkFetchError(f"--katago-model {explicit}: no such file")
        return Found(p, "--katago-model")
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise NetworkFetchError(f"${ENV_VAR}={env}: no such file")
        return Found(p, f"${ENV_VAR}")
    cached = cache_dir() / NETWORK_NAME
    if cached.is_file():
        return Found(cached, "gofix cache")
    for folder in _katrain_models():
        if folder.is_dir():
            nets = sorted(folder.glob("*.bin.gz"))
            if nets:
                return Found(nets[0], "KaTrain")
    return None


def judge_network(engine: str = "auto", explicit: Optional[str | os.PathLike] = None) -> Optional[Path]:
    """The network that judges the repairs, from ``--engine`` (``engine``: auto, the one
    ``find_network`` finds if any; katago, it must find one; none) and ``--katago-model``
    (``explicit``); None: no engine. The file's header is read (``modelfile.read_model``), so a bad
    file is an error before any work starts. Raises EngineChoiceError, NetworkFetchError or
    ``modelfile.ModelFileError``."""
    choice = engine.lower()
    if choice not in ("auto", "katago", "none"):
        raise EngineChoiceError(f"--engine {engine}: choose auto, katago or none")
    if choice == "none":
        return None
    found = find_network(explicit)
    if found is None:
        if choice == "katago":
            raise EngineChoiceError("--engine katago: no KataGo network found; `gofix engine fetch` downloads "
                                    "one, or pass --katago-model PATH")
        return None
    from .modelfile import read_model  # numpy: loaded once an engine is asked for

    read_model(found.path)
    return found.path


def _pypi_wheel_url(version: str, opener: Callable) -> str:
    with opener(f"https://pypi.org/pypi/katrain/{version}/json") as r:
        meta = json.load(r)
    for f in meta.get("urls", []):
        if f.get("packagetype") == "bdist_wheel":
            return f["url"]
    raise NetworkFetchError(f"PyPI lists no wheel for katrain {version}")


def fetch(dest: Optional[Path] = None, *, opener: Callable = urllib.request.urlopen,
          wheel_url: Optional[str] = None, progress: Optional[Callable[[int, int], None]] = None) -> Path:
    """Download the katrain wheel, extract its network into ``dest`` (the cache folder), check its sha256.

    Returns the network's path. An existing, valid copy is kept (no download). Raises
    NetworkFetchError on a network failure, a wheel without the network, or a checksum mismatch;
    nothing half-written is left behind.
    """
    dest = Path(dest) if dest else cache_dir()
    target = dest / NETWORK_NAME
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == NETWORK_SHA256:
        return target
    try:
        url = wheel_url or _pypi_wheel_url(KATRAIN_VERSION, opener)
        with opener(url) as r:
            total = int(r.headers.get("Content-Length") or 0) if hasattr(r, "headers") else 0
            chunks, got = [], 0
            while True:
                b = r.read(1 << 20)
                if not b:
                    break
                chunks.append(b)
                got += len(b)
                if progress:
                    progress(got, total)
    except OSError as exc:
        raise NetworkFetchError(f"cannot download the katrain wheel: {exc}") from None
    try:
        with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as zf:
            names = [n for n in zf.namelist() if n.endswith("/" + NETWORK_NAME)]
            if not names:
                raise NetworkFetchError(f"the katrain wheel holds no {NETWORK_NAME}")
            data = zf.read(names[0])
    except zipfile.BadZipFile:
        raise NetworkFetchError("the download is not a wheel (zip)") from None
    sha = hashlib.sha256(data).hexdigest()
    if sha != NETWORK_SHA256:
        raise NetworkFetchError(f"{NETWORK_NAME} from the wheel has sha256 {sha}, expected {NETWORK_SHA256}")
    dest.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    (dest / (NETWORK_NAME + ".LICENSE.txt")).write_text(LICENCE.format(version=KATRAIN_VERSION), encoding="utf-8")
    return target
