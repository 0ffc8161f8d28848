"""The result cache: computed once, loaded after, a corrupt file is a miss, stale entries can be pruned,
and the key covers code and machine path but not presentation code."""
import ast
from pathlib import Path

import numpy as np

from helpers import cache, store


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


def test_presentation_code_is_not_in_the_key_and_computing_code_never_imports_it():
    """Editing a figure, a table or a finding must not recompute anything; so no module that feeds a
    cached computation may import one of those (else a change there would silently go stale)."""
    package = cache.PACKAGE
    excluded = {m.removesuffix(".py") for m in cache.NOT_COMPUTING} - {"cache"}
    for f in package.rglob("*.py"):
        rel = f.relative_to(package)
        if rel.parts[0] in cache.NOT_COMPUTING:
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                bad = [n for n in names if n.split(".")[0] in excluded]
                assert not bad, f"{rel} imports {bad}, which is outside the cache key"
    assert Path(package / "plotting").is_dir() and "plotting" in cache.NOT_COMPUTING


def test_optional_modules_enter_only_the_keys_of_the_runs_that_name_them(tmp_path):
    base, with_theory = cache.code_hash(), cache.code_hash(("theory.py",))
    assert base != with_theory
    assert cache.path("demo", {}, tmp_path) != cache.path("demo", {}, tmp_path, modules=("theory.py",))
    res = cache.cached("demo", {}, _tiny([]), tmp_path, modules=("theory.py",))
    assert res.meta["cache"]["code_with_modules"] == with_theory and not cache.prune(tmp_path)


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
    from helpers import precompute
    assert precompute.missing(["init_pieces"]) == [("init_pieces", "init_pieces", 1)]
    said: list[str] = []
    precompute.compute_missing(["init_pieces"], log=said.append)
    assert "computing 1 piece(s) of init_pieces" in said[0] and "minute(s) on this machine" in said[0]
    assert said[1].startswith("  [1/1] init_pieces:init_pieces done")
    assert precompute.missing(["init_pieces"]) == []
    said.clear()
    precompute.compute_missing(["init_pieces"], log=said.append)
    assert said == []
