"""The result cache: computed once, loaded after, a corrupt file is a miss, stale entries can be pruned,
and the key covers code and machine path but not presentation code."""

import numpy as np
import pytest

from helpers.core import store
from helpers.experiments import cache


def _tiny(calls):
    def compute():
        calls.append(1)
        return store.Results({"x": np.arange(3.0)}, {"x": ("i",)}, {"i": [0, 1, 2]})
    return compute


def test_cached_computes_once_then_loads(tmp_path):
    calls = []
    a = cache.cached("demo", {"lr": 0.1}, _tiny(calls), tmp_path)
    b = cache.cached("demo", {"lr": 0.1}, _tiny(calls), tmp_path)
    cache.cached("demo", {"lr": 0.2}, _tiny(calls), tmp_path)  # another key: computes
    assert len(calls) == 2 and np.array_equal(a["x"], b["x"])
    assert b.meta["cache"]["code"] == cache.code_hash()


def test_corrupt_cache_file_is_a_miss_with_one_line(tmp_path):
    path = cache.path("demo", {"k": 1}, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a file")
    said, calls = [], []
    res = cache.cached("demo", {"k": 1}, _tiny(calls), tmp_path, log=said.append)
    assert calls == [1] and np.array_equal(res["x"], np.arange(3.0))
    assert len(said) == 1 and path.name in said[0] and "recomputing demo" in said[0]
    assert store.load(path)["x"].tolist() == [0, 1, 2]          # the bad file was replaced


def test_prune_removes_other_code_and_broken_files_only(tmp_path):
    good = cache.path("demo", {"k": 1}, tmp_path)
    cache.cached("demo", {"k": 1}, _tiny([]), tmp_path)
    old = store.save(store.Results({"x": np.zeros(1)}, {"x": ("i",)}, {"i": [0]},
                                   {"cache": {"name": "demo", "code": "0" * 16}}), tmp_path / "demo-old.npz")
    (tmp_path / "broken.npz").write_bytes(b"nope")
    (tmp_path / ".x.npz.123.tmp").write_bytes(b"")
    gone = {p.name for p in cache.prune(tmp_path)}
    assert gone == {old.name, "broken.npz", ".x.npz.123.tmp"} and good.exists()


def test_key_includes_the_machine_path(tmp_path, monkeypatch):
    a = cache.path("demo", {"k": 1}, tmp_path)
    other = "SSE4_2" if cache.machine()["mkl_instructions"] == "AVX" else "AVX"  # `make test` and `make verify` set AVX
    monkeypatch.setenv("MKL_ENABLE_INSTRUCTIONS", other)
    assert cache.path("demo", {"k": 1}, tmp_path) != a and cache.machine()["mkl_instructions"] == other


def test_folder_from_environment_book_root_or_working_directory(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV, str(tmp_path / "c"))
    assert cache.folder() == tmp_path / "c"
    monkeypatch.delenv(cache.ENV)
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "_toc.yml").write_text("")
    (tmp_path / "book" / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "book" / "notebooks")
    assert cache.folder() == tmp_path / "book" / ".cache"
    monkeypatch.chdir(tmp_path)
    assert cache.folder() == tmp_path / ".cache"


def test_the_folders_every_key_hashes_import_nothing_outside_them():
    """The folder rule: core/ and engine/ are in every key, so a module there may import only from them (and the
    package's __init__); otherwise an edit elsewhere (a figure, a finding) would feed a run without entering its key."""
    package = cache.PACKAGE
    for top in cache.ALWAYS:
        for f in (package / top).rglob("*.py"):
            reached = cache._imports(f)
            assert all(m.split(".")[0] in cache.ALWAYS for m in reached), f"{f.relative_to(package)} imports {reached}"
    assert "plotting" not in cache.ALWAYS and "findings" not in cache.ALWAYS


def test_a_named_module_enters_the_key_with_everything_it_imports(tmp_path):
    """Naming the measurements at initialisation brings in the theory they call; naming nothing keeps the theory,
    the findings and the figures out; a name that is no module is refused."""
    assert cache.imported(("experiments.at_init",)) >= {"experiments.at_init", "theory", "theory.mean_field",
                                                         "theory.criticality"}
    assert not any(m.startswith(("plotting", "findings")) for m in cache.imported(("experiments.at_init",)))
    base, with_theory = cache.code_hash(), cache.code_hash(("theory",))
    assert base != with_theory
    assert cache.path("demo", {}, tmp_path) != cache.path("demo", {}, tmp_path, modules=("theory",))
    res = cache.cached("demo", {}, _tiny([]), tmp_path, modules=("theory",))
    assert res.meta["cache"]["code_with_modules"] == with_theory and not cache.prune(tmp_path)
    with pytest.raises(ValueError, match="no module helpers.theory.py"):
        cache.code_hash(("theory.py",))


def test_editing_a_figure_changes_no_key_and_editing_the_engine_changes_every_key(tmp_path, monkeypatch):
    """The rule measured on a copy of the package: a line added to a plotting module leaves the key, one added to an
    engine module changes it."""
    import shutil
    copy = tmp_path / "helpers"
    shutil.copytree(cache.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE", copy)
    key = lambda: (cache.code_hash.cache_clear(), cache.code_hash(("experiments.at_init",)))[1]
    before = key()
    (copy / "plotting" / "style.py").write_text((copy / "plotting" / "style.py").read_text() + "\n# a comment\n")
    assert key() == before
    (copy / "theory" / "criticality.py").write_text((copy / "theory" / "criticality.py").read_text() + "\n# x\n")
    after_theory = key()
    assert after_theory != before
    (copy / "engine" / "batched.py").write_text((copy / "engine" / "batched.py").read_text() + "\n# a comment\n")
    assert key() != after_theory
    cache.code_hash.cache_clear()


def test_derived_values_are_computed_once_and_a_corrupt_file_is_a_miss(tmp_path):
    calls, said = [], []
    compute = lambda: calls.append(1) or {"table": [1.5, "2 ± 1"]}
    assert cache.derived("findings_demo", compute, tmp_path) == cache.derived("findings_demo", compute, tmp_path)
    assert calls == [1]
    (path,) = tmp_path.glob("findings_demo-*.pkl")
    path.write_bytes(b"half a pickle")
    assert cache.derived("findings_demo", compute, tmp_path, log=said.append) == {"table": [1.5, "2 ± 1"]}
    assert calls == [1, 1] and len(said) == 1 and "recomputing findings_demo" in said[0]


def test_derived_values_are_keyed_by_every_module_and_pruned_when_stale(tmp_path, monkeypatch):
    cache.derived("findings_demo", lambda: 1, tmp_path)
    (fresh,) = tmp_path.glob("*.pkl")
    monkeypatch.setattr(cache, "_package_hash", lambda: "0" * 16)      # as after an edit to any module
    assert cache.derived("findings_demo", lambda: 2, tmp_path) == 2    # another file: recomputed
    assert [p.name for p in cache.prune(tmp_path)] == [fresh.name]


def test_derived_value_that_cannot_be_written_is_still_returned(tmp_path):
    said = []
    blocker = tmp_path / "file"
    blocker.write_text("")                       # a file where the cache folder should be
    assert cache.derived("findings_demo", lambda: 3, blocker / "cache", log=said.append) == 3
    assert len(said) == 1 and "could not write" in said[0]


def test_what_is_missing_is_said_before_it_is_computed():
    """precompute.missing probes the cache without computing; compute_missing says what and about how long first,
    then a line per piece; afterwards nothing is missing (what a chapter and `report` print on a fresh clone)."""
    from helpers.experiments import precompute
    assert precompute.missing(["init_pieces"]) == [("init_pieces", "init_pieces", 1)]
    said: list[str] = []
    precompute.compute_missing(["init_pieces"], log=said.append)
    assert "computing 1 piece(s) of init_pieces" in said[0] and "minute(s) on this machine" in said[0]
    assert said[1].startswith("  [1/1] init_pieces:init_pieces done")
    assert precompute.missing(["init_pieces"]) == []
    said.clear()
    precompute.compute_missing(["init_pieces"], log=said.append)
    assert said == []


def test_the_bundle_serves_a_miss_with_the_arrays_the_chapters_read(tmp_path, monkeypatch):
    """A run read by a chapter is bundled with only the arrays read; a fresh cache then loads it from the bundle
    instead of computing, says so once, and counts it as present; with HELPERS_NO_BUNDLE it is computed again."""
    from helpers.experiments import bundle
    monkeypatch.setattr(bundle, "FOLDER", tmp_path / "bundle")
    monkeypatch.setenv(bundle.RECORD, str(tmp_path / "reads"))
    monkeypatch.delenv(bundle.OFF, raising=False)
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))

    def two_arrays():
        return store.Results({"x": np.arange(3.0), "big": np.zeros((3, 50))}, {"x": ("i",), "big": ("i", "j")},
                             {"i": [0, 1, 2]})
    run = lambda: bundle.record(cache.cached("demo", {"a": 1}, two_arrays), "demo_run")
    assert run()["x"].sum() == 3.0                          # a chapter reads x, never big
    reads = bundle.recorded(tmp_path / "reads")
    assert reads == {"demo_run": {"x"}}
    (tmp_path / "bundle").mkdir()
    written = bundle.write(reads, tasks=[("demo_run", "all", 1.0)], compute=lambda r, p: run(), log=lambda m: None)
    assert len(written) == 1
    monkeypatch.setenv(cache.ENV, str(tmp_path / "fresh"))    # a fresh clone: nothing cached
    monkeypatch.delenv(bundle.RECORD)
    with cache.probing():
        assert cache.cached("demo", {"a": 1}, two_arrays) is None
    served = cache.cached("demo", {"a": 1}, lambda: pytest.fail("computed instead of read from the bundle"))
    assert list(served.arrays) == ["x"] and served.meta["bundle"]["arrays_dropped"] == ["big"]
    monkeypatch.setenv(bundle.OFF, "1")
    assert set(cache.cached("demo", {"a": 1}, two_arrays).arrays) == {"x", "big"}
