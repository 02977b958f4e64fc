"""Game-record files: SGF (read and written without loss), GIB, NGF and UGF, the sources they come from
(files, folders, archives) and safe writing.

Reading: ``sources`` (where records come from) -> ``read`` (which format) -> ``sgf`` (records from
``sgf_grammar``'s trees, ``charsets``, ``sgf_strict``) or ``gib``/``ngf``/``ugf`` (through
``common``); writing: ``sgf_writer``, and ``paths`` (output names, atomic writes, runs that never
overwrite). ``limits`` holds what is read at most. This face hands on the names most callers need.

Layer: above rules; no torch.
"""

from .paths import atomic_write, is_gofix_temp
from .read import iter_games, parse_collection, parse_items, read_file, read_game, sniff_format
from .sgf_writer import dump_collection, dump_game, dump_tree, original_bytes
from .sources import ARCHIVE_SUFFIXES, GAME_SUFFIXES, iter_sources, load_reason
from gofix.record import Unreadable

__all__ = ["ARCHIVE_SUFFIXES", "GAME_SUFFIXES", "Unreadable", "atomic_write", "dump_collection", "dump_game",
           "dump_tree", "is_gofix_temp", "iter_games", "iter_sources", "load_reason", "original_bytes",
           "parse_collection", "parse_items", "read_file", "read_game", "sniff_format"]
