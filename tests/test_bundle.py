"""The chapters' data the repository carries (data/runs/, helpers.experiments.bundle): a fresh clone's chapter reads
it instead of training, and prints what the committed chapter prints."""
from pathlib import Path

import numpy as np
import pytest
from conftest import glued

from helpers import findings
from helpers.analysis.stats import Text
from helpers.experiments import bundle, cache, registry

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.skipif(not bundle.FOLDER.is_dir(), reason="no data/runs/ in this checkout")
def test_a_chapter_from_the_bundle_alone_glues_what_the_committed_chapter_glues(tmp_path, monkeypatch):
    """Chapter 4's findings from the bundle alone (an empty cache; training would fail the test) glue exactly the
    values the committed chapter glues, on this machine's code path too: the bundle is the data of the pages."""
    monkeypatch.delenv(bundle.OFF, raising=False)
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    monkeypatch.setattr(cache, "store", _NoSave(cache.store))                  # nothing computed, nothing written
    for run in registry.RUNS.values():
        monkeypatch.setattr(run, "_joined", None)
    findings.chapter.cache_clear()
    try:
        values = findings.chapter("stability")
    finally:
        findings.chapter.cache_clear()
    committed = glued(NOTEBOOKS / "04_stability.ipynb")
    shown = {k: repr(Text(v) if isinstance(v, str) else v.item() if isinstance(v, np.generic) else v)
             for k, v in values.items() if isinstance(v, (int, float, str, np.generic))}
    assert len(shown) > 20 and set(shown) <= set(committed)
    assert {k: v for k, v in shown.items() if v != committed[k]} == {}


class _NoSave:
    """store, but saving a computed result fails: the bundle must serve every piece."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def save(self, *args, **kwargs):
        raise AssertionError("a piece was computed: the bundle lacks it")
