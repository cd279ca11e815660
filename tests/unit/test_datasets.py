import numpy as np
import pytest
from PIL import Image

from dlterm import datasets
from dlterm.datasets.series import relative_windows, to_units
from dlterm.errors import DltermError


def test_shapes_is_deterministic_and_well_formed():
    a = datasets.load("shapes", {"samples": 200}, seed=1)
    b = datasets.load("shapes", {"samples": 200}, seed=1)
    assert np.array_equal(a.x_train, b.x_train)
    assert a.x_train.shape[1:] == (28, 28, 1) and a.x_train.dtype == np.float32
    assert 0 <= a.x_train.min() and a.x_train.max() <= 1
    assert sum(a.sizes().values()) == 200 and set(np.unique(a.y_train)) == {0, 1, 2, 3}
    assert a.spec.output_shape == (4,) and a.preprocessing["class_names"] == ["disc", "square", "triangle", "cross"]


def test_series_windows_round_trip_to_original_units():
    b = datasets.load("seasonal", {"length": 200, "window": 12}, seed=0)
    assert b.x_train.shape[1:] == (12, 1) and b.spec.output_shape == (1,)
    assert np.allclose(b.x_train[:, -1, 0], 0)  # windows are relative to their last value
    # The true next value, rebuilt from the scaled target, equals the raw series value.
    from dlterm.datasets.synthetic import seasonal_series

    raw = seasonal_series(200, 0)
    truth = to_units(b.y_test, b.extra["last_test"], b.preprocessing)
    assert np.allclose(truth, raw[-len(truth):])
    windows = np.stack([raw[i - 12:i, None] for i in range(200 - len(truth), 200)])
    assert np.allclose(relative_windows(windows, b.preprocessing), b.x_test, atol=1e-5)
    # What the seasonal baseline reads: the series, where the test targets sit, the training length.
    assert np.allclose(b.extra["target_series"][b.extra["test_targets_at"]], truth)
    assert b.extra["train_rows"] == 140 and b.extra["period"] == 0  # 200 - 30 validation - 30 test; 0 = detect


def test_real_airline_csv_auto_picks_the_numeric_column(shared_datasets):
    b = datasets.load("csv", {"path": str(shared_datasets / "airline-passengers.csv"), "window": 12}, seed=0)
    assert b.preprocessing["columns"] == ["Passengers"] and sum(b.sizes().values()) == 144 - 12


@pytest.mark.parametrize("content, settings, message", [
    ("", {}, "no data rows"),
    ("a,b\n", {}, "no data rows"),
    ("date,v\n2020-01,x\n2020-02,y\n", {}, "numeric columns: none"),
    ("a,b\n1,2\n3,4\n", {}, "choose the column"),
    ("a\n1\n2\n3\n", {"column": "zz"}, "has no column 'zz'"),
    ("a\n" + "\n".join(str(i) for i in range(20)), {"window": 30}, "too short for a window of 30"),
])
def test_bad_csvs(tmp_path, content, settings, message):
    path = tmp_path / "d.csv"
    path.write_text(content)
    with pytest.raises(DltermError, match=message):
        datasets.load("csv", {"path": str(path), **settings}, seed=0)


def _image(path, mode, size=(10, 12)):
    colour = {"L": 128, "RGB": (255, 0, 0), "RGBA": (0, 0, 255, 128), "P": 3}[mode]
    Image.new(mode, size, colour).save(path)


def test_image_folder_mixes_modes_and_skips_corrupt_files(tmp_path):
    for cls in ("ants", "bees"):
        (tmp_path / cls).mkdir()
        for i, mode in enumerate(["L", "RGB", "RGBA", "P"] * 2):
            _image(tmp_path / cls / f"{i}.png", mode)
    (tmp_path / "ants" / "broken.jpg").write_bytes(b"not an image")
    b = datasets.load("images", {"path": str(tmp_path), "image_size": 16}, seed=0)
    assert b.x_train.shape[1:] == (16, 16, 3) and sum(b.sizes().values()) == 16
    assert b.spec.class_names == ("ants", "bees")
    assert "skipped 1 unreadable file(s): broken.jpg" in b.notes[0]
    # each test row's file (for evaluation's worst examples) is in the folder of its label
    assert [f.split("/")[0] for f in b.extra["test_files"]] == [b.spec.class_names[y] for y in b.y_test]


def test_image_folder_with_train_and_val(tmp_path):
    for split in ("train", "val"):
        for cls in ("a", "b"):
            (tmp_path / split / cls).mkdir(parents=True)
            for i in range(4):
                _image(tmp_path / split / cls / f"{i}.png", "L")
    b = datasets.load("images", {"path": str(tmp_path), "image_size": 8}, seed=0)
    assert b.sizes() == {"train": 8, "val": 4, "test": 4} and b.x_train.shape[-1] == 1
    # val/ is halved into validation and test: each test row keeps the name of the file it came from
    for i, name in enumerate(b.extra["test_files"]):
        Image.new("L", (8, 8), 50 + 10 * i).save(tmp_path / name)
    again = datasets.load("images", {"path": str(tmp_path), "image_size": 8}, seed=0)
    assert again.extra["test_files"] == b.extra["test_files"] and all(f.startswith("val/") for f in b.extra["test_files"])
    assert [round(float(x.mean()) * 255) for x in again.x_test] == [50 + 10 * i for i in range(4)]


@pytest.mark.parametrize("layout, message", [
    ({}, "no images found"),
    ({"only": 3}, "only one class"),
])
def test_bad_image_folders(tmp_path, layout, message):
    for cls, n in layout.items():
        (tmp_path / cls).mkdir()
        for i in range(n):
            _image(tmp_path / cls / f"{i}.png", "RGB")
    with pytest.raises(DltermError, match=message):
        datasets.load("images", {"path": str(tmp_path)}, seed=0)


def test_unknown_dataset_and_settings():
    with pytest.raises(DltermError, match="unknown dataset 'nope'"):
        datasets.get_dataset("nope")
    with pytest.raises(DltermError, match="unknown setting 'windw'"):
        datasets.load("seasonal", {"windw": 3}, seed=0)
    with pytest.raises(DltermError, match="needs a path"):
        datasets.load("csv", {}, seed=0)
