"""KataGo networks in torch: gofix's board sense.

Three layers, each usable alone:

- ``modelfile``: reads (and, for tests, writes) KataGo ``.bin.gz`` / ``.txt.gz`` network files
  into a plain description (numpy arrays, no torch) — model format versions 8 to 17.
- ``network``: the network in torch, built from that description (policy, value, score and
  ownership heads; batched; float32 or bfloat16).
- ``features``: KataGo's 22 spatial and 19 global input planes (input version 7) computed from a
  move sequence, with KataGo's own board semantics (simple ko point, ladders searched as KataGo
  searches them), for the rules and komi of the record.

KataGo's source (MIT, github.com/lightvector/KataGo: cpp/neuralnet/desc.cpp, eigenbackend.cpp,
nninputs.cpp, cpp/game/board.cpp) is the reference for every format detail and formula here;
``reference`` (with ``tests/test_engine_reference.py``) checks the result against the KataGo binary's own output.
"""
