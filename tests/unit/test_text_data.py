"""Text preprocessing shared by training and devices, and the offline text datasets (no TensorFlow)."""

import datetime as dt

import numpy as np
import pytest

from dlterm.datasets import load
from dlterm.datasets.pairs import human_date
from dlterm.datasets.text import build_vocabulary, phrase
from dlterm.errors import DltermError
from dlterm_edge.preprocess import END, PAD, START, UNKNOWN, decode_ids, encode_text, words


def test_words_keep_contractions_and_drop_punctuation():
    assert words("Don't PANIC: it's 42, ok?!") == ["don't", "panic", "it's", "42", "ok"]


def test_encode_text_front_pads_cuts_and_marks_unknown_words():
    prep = {"vocabulary": ["<pad>", "<unk>", "good", "film"], "tokens": "words", "max_length": 4}
    ids = encode_text(["good film", "a good good good film"], prep)
    assert ids.tolist() == [[PAD, PAD, 2, 3], [UNKNOWN, 2, 2, 2]]
    assert ids.dtype == np.int32


def test_vocabulary_is_by_frequency_then_alphabetical_and_capped():
    vocab = build_vocabulary([["b", "a", "c"], ["c", "b"], ["c"]], max_size=4)
    assert vocab == ["<pad>", "<unk>", "c", "b"]


def test_decode_ids_stops_at_the_end_token():
    vocab = ["<pad>", "<s>", "</s>", "a", "b"]
    assert decode_ids([START, 3, 4, 3, END, 4, 4], vocab) == "aba"


@pytest.mark.parametrize("seed", range(5))
def test_generated_phrases_follow_negation_and_but(seed):
    rng = np.random.default_rng(seed)
    from dlterm.datasets.text import _NEGATIVE, _POSITIVE

    for _ in range(200):
        text, label = phrase(rng)
        last = text.split(" but ")[-1].split()
        positive = last[-1] in _POSITIVE
        assert last[-1] in _POSITIVE + _NEGATIVE
        assert label == ("positive" if positive != ("not" in last) else "negative"), text


def test_human_dates_name_the_right_day():
    rng = np.random.default_rng(0)
    day = dt.date(2021, 3, 2)  # a tuesday
    forms = {human_date(day, rng) for _ in range(300)}
    assert "tuesday, march 2, 2021" in forms or "tuesday, mar 2, 2021" in forms
    assert any("2nd of" in f for f in forms) and "02.03.2021" in forms
    assert all("2021" in f for f in forms)


def test_offline_text_datasets_have_their_shapes():
    phrases = load("phrases", {"samples": 200}, 0)
    assert phrases.x_train.shape[1] == 20 and phrases.spec.class_names == ("negative", "positive")
    dates = load("dates", {"samples": 200}, 0)
    assert set(dates.x_train) == {"source", "decoder_input"}
    assert (dates.x_train["decoder_input"][:, 0] == START).all()
    assert (dates.y_train[:, -1] == END).all()  # every ISO date is 10 characters + END
    assert (dates.x_train["decoder_input"][:, 1:] == dates.y_train[:, :-1]).all()  # teacher forcing
    docs = load("pydoc", {"length": 20000, "window": 30, "stride": 5}, 0)
    assert docs.x_train.shape[1] == 30 and abs(sum(docs.preprocessing["unigram"]) - 1) < 1e-9


def test_a_text_csv_finds_its_columns(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("id,review,sentiment\n" + "".join(f"{i},\"great, fun film {i}\",pos\n{i},dull film,neg\n" for i in range(20)))
    bundle = load("text", {"path": str(path)}, 0)
    assert bundle.spec.class_names == ("neg", "pos") and sum(bundle.sizes().values()) == 40
    with pytest.raises(DltermError, match="has no column 'body'"):
        load("text", {"path": str(path), "text_column": "body"}, 0)
