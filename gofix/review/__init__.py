"""Review reports for people: boards drawn as SVG (``svg``) and one self-contained HTML file per run
(``html``), built from the findings and repairs of ``check``/``clean`` (``model``, the one adapter)."""
