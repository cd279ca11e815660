"""The preprocessing recorded with every run names its fixed rules too (no TensorFlow)."""

import re

from dlterm import datasets
from dlterm.datasets.recipe import complete
from dlterm_edge.preprocess import words


def _prep(name, **settings):
    info = datasets.get_dataset(name)
    return datasets.load(name, info.resolve_settings(settings), 0).preprocessing


def test_images_record_filter_colour_alpha_scale_and_layout():
    prep = _prep("shapes", samples=60)
    assert (prep["resize"], prep["color_mode"], prep["alpha"], prep["layout"], prep["dtype"]) == \
        ("bilinear", "L", "composite", "NHWC", "float32")
    assert prep["background"] == [255, 255, 255] and prep["scale"] == 1 / 255


def test_series_and_text_record_their_rules():
    series = _prep("seasonal", length=200)
    assert series["offset"] == "last" and series["layout"] == "NWC" and len(series["scale"]) == len(series["columns"])
    text = _prep("phrases", samples=200)
    assert text["lowercase"] is True and (text["pad_id"], text["unknown_id"]) == (0, 1)
    sentence = "Don't SAY it's_great, 42 times!"
    assert re.findall(text["token_pattern"], sentence.lower()) == words(sentence)


def test_complete_keeps_recorded_values_and_is_idempotent():
    old = {"kind": "image", "height": 8, "width": 8, "channels": 3, "scale": 1 / 255, "class_names": ["a", "b"],
           "resize": "nearest"}
    done = complete(old)
    assert done["resize"] == "nearest" and done["color_mode"] == "RGB" and complete(done) == done
    assert "resize" not in complete({"kind": "series", "window": 3})
