import subprocess
import sys

import numpy as np
import pytest

from helpers.__main__ import main
from helpers.core import store
from helpers.experiments import cache

ARTIFACTS = ["learned_functions.png", "loss_curves.png", "gradient_flow.png", "hidden_activations.png",
             "report.md", "baseline.npz"]


def test_cli_end_to_end_writes_every_artifact(tmp_path):
    out = tmp_path / "af"
    rc = subprocess.run([sys.executable, "-m", "helpers", "baseline", "--out", str(out), "--epochs", "12",
                         "--seeds", "2", "--threads", "1"], capture_output=True, text=True)
    assert rc.returncode == 0, rc.stderr
    assert "8 activations x 2 seeds = 16 models" in rc.stdout and "float64" in rc.stdout
    for name in ARTIFACTS:
        assert (out / name).stat().st_size > 0, name
    res = store.load(out / "baseline.npz")
    assert res.coords["activation"] == ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu"]
    assert res["loss"].shape == (8, 2, 12) and res.coords["grad_epoch"] == [0, 1, 10, 12]
    text = (out / "report.md").read_text()
    assert "| GELU |" in text and "python -m helpers report" in text
    # the report can be rebuilt from the stored logs alone
    assert main(["report", str(out / "baseline.npz"), "--out", str(tmp_path / "again.md"), "--seed-only"]) == 0
    assert (tmp_path / "again.md").read_text().split("\n")[3:] == text.split("\n")[3:]


@pytest.mark.parametrize("args,message", [
    (["--activations", "relu,swish2"], "unknown activation 'swish2'; valid choices: identity"),
    (["--epochs", "0"], "must be a whole number from 1 to 100,000"),
    (["--epochs", "-5"], "must be a whole number from 1 to 100,000"),
    (["--epochs", "99999999999999999999"], "must be a whole number from 1 to 100,000"),
    (["--lr", "-0.1"], "learning rate must be a positive number"),
    (["--seeds", "0"], "seeds must be a whole number >= 1"),
    (["--device", "tpu"], "valid choices: auto, cpu, cuda"),
    (["--depth", "0"], "depth must be a whole number >= 1, got 0"),
    (["--width", "-4"], "width must be a whole number >= 1, got -4"),
    (["--init", "he"], "invalid choice: 'he' (choose from 'torch_default', 'xavier', 'kaiming'"),
])
def test_bad_arguments_one_line_nonzero_and_nothing_touched(tmp_path, capsys, args, message):
    out = tmp_path / "af"
    out.mkdir()
    (out / "report.md").write_text("earlier results")
    try:
        rc = main(["baseline", "--out", str(out)] + args)
    except SystemExit as e:   # argparse's refusals exit with 2 themselves
        rc = e.code
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert (out / "report.md").read_text() == "earlier results" and len(list(out.iterdir())) == 1


@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_bad_thread_counts_are_refused(capsys, value):
    with pytest.raises(SystemExit) as e:
        main(["baseline", "--threads", value])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and "must be a whole number >= 1" in err and "\n" not in err   # one line


def test_unwritable_folder_is_refused_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["baseline", "--out", str(blocker / "sub")]) == 2
    assert "cannot write to output folder" in capsys.readouterr().err


def test_corrupt_results_file_for_report(tmp_path, capsys):
    bad = tmp_path / "baseline.npz"
    bad.write_bytes(b"PK\x03\x04 broken")
    assert main(["report", str(bad)]) == 2
    assert f"{bad} is not a readable results file" in capsys.readouterr().err


def test_report_refuses_a_file_that_is_not_a_seed_run(tmp_path, capsys):
    other = store.save(store.Results({"pred": np.zeros((2, 3))}, {"pred": ("activation", "x")}, {},
                                     {"cache": {"name": "spectral"}}), tmp_path / "spectral.npz")
    assert main(["report", str(other)]) == 2
    err = capsys.readouterr().err
    assert "is a 'spectral' run" in err and "not a seed run" in err and err.count("\n") == 1


def test_precompute_figures_and_cache_subcommands(tmp_path, capsys):
    assert main(["precompute", "--only", "nope"]) == 2
    assert "unknown run 'nope'; valid choices: seed_run" in capsys.readouterr().err
    assert main(["precompute", "--only", "init_pieces", "--jobs", "1"]) == 0
    assert "precomputed init_pieces:init_pieces" in capsys.readouterr().out
    assert list(cache.folder().glob("init_pieces-*.npz"))
    assert main(["figures", "--out", str(tmp_path)]) == 0 and (tmp_path / "activations.png").stat().st_size > 0
    capsys.readouterr()
    assert main(["cache", "--code-hash"]) == 0 and capsys.readouterr().out.strip() == cache.code_hash()
    assert main(["cache", "--prune"]) == 0 and "removed" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu"])
def test_every_activation_alone_writes_the_whole_folder(tmp_path, name):
    """Any subset works, each activation alone included; the hidden-activations figure shows what was asked."""
    out = tmp_path / "af"
    assert main(["baseline", "--out", str(out), "--activations", name, "--epochs", "3", "--seeds", "1",
                 "--threads", "1"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(ARTIFACTS)
    assert store.load(out / "baseline.npz").coords["activation"] == [name]


def test_a_failed_write_leaves_the_earlier_folder_as_it_was(tmp_path, monkeypatch, capsys):
    """All new files or none: a figure that fails after baseline.npz was made replaces nothing."""
    from helpers.findings import report
    out = tmp_path / "af"
    assert main(["baseline", "--out", str(out), "--activations", "relu", "--epochs", "3", "--seeds", "1"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(res, data):
        raise OSError("disk full")
    monkeypatch.setitem(report.FIGURES, "gradient_flow.png", broken)
    assert main(["baseline", "--out", str(out), "--activations", "tanh", "--epochs", "3", "--seeds", "1"]) == 2
    assert "disk full" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before      # no scratch folder left either


def test_odd_arguments_say_what_they_mean(tmp_path, capsys):
    """An empty --out is refused; a batch as large as the data is reported as the full batch it is; report
    --out may name a folder."""
    with pytest.raises(SystemExit) as e:
        main(["baseline", "--out", ""])
    assert e.value.code == 2 and "empty string" in capsys.readouterr().err
    out = tmp_path / "af"
    assert main(["baseline", "--out", str(out), "--activations", "relu", "--epochs", "2", "--seeds", "1",
                 "--batch-size", "1000"]) == 0
    assert "full batch (batch size 1000 >= the 200 training points)" in capsys.readouterr().out
    assert "full batch (one step per epoch)" in (out / "report.md").read_text()
    folder = tmp_path / "reports"
    folder.mkdir()
    assert main(["report", str(out / "baseline.npz"), "--out", str(folder), "--seed-only"]) == 0
    assert (folder / "report.md").read_text().startswith("# Activation functions")


@pytest.mark.parametrize("content, message", [
    (None, "an .npz archive without this book's description"),
    (bytes(range(256)) * 4, "not an .npz archive"),
])
def test_files_that_are_not_ours_are_named_as_such(tmp_path, capsys, content, message):
    path = tmp_path / "other.npz"
    if content is None:
        np.savez(path, a=np.arange(3))
    else:
        path.write_bytes(content)
    assert main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "pickle" not in err and "delete" not in err and err.count("\n") == 1
