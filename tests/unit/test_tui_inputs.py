"""Pure helpers behind the dashboard: predict's typed inputs, chart ranges, path completion."""

import os

from dlterm.tui.predict_input import predict_items
from dlterm.tui.widgets.curves import axis_limits, epoch_limits, epoch_of, epoch_ticks
from dlterm.tui.widgets.path_suggester import complete_path


def test_a_path_with_spaces_is_one_input_and_tilde_is_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "my pics").mkdir()
    image = tmp_path / "my pics" / "a cat.png"
    image.write_bytes(b"x")
    assert predict_items("~/my pics/a cat.png", text_input=False) == [str(image)]
    assert predict_items(f"'{image}' ~/b.png", text_input=False) == [str(image), str(tmp_path / "b.png")]
    assert predict_items("112 118 -3.5", text_input=False) == ["112", "118", "-3.5"]
    assert predict_items("  a wonderful film ", text_input=True) == ["a wonderful film"]
    assert predict_items("it's \"odd", text_input=False) == ["it's", '"odd']  # unbalanced quotes
    assert predict_items("   ", text_input=False) == []


def test_chart_ranges_never_collapse():
    assert epoch_limits([1], planned=8) == (1.0, 8.0)
    assert epoch_limits([1]) == (1.0, 2.0)
    assert epoch_limits([], planned=0) == (1.0, 2.0)
    lo, hi = axis_limits([0.5])
    assert lo < 0.5 < hi and hi - lo >= 0.02
    assert axis_limits([]) == (0.0, 1.0)
    assert epoch_of({"epoch": 3.0}) == 3 and epoch_of({"epoch": "3"}) is None and epoch_of({}) is None


def test_epoch_ticks_are_whole_and_fit_the_width():
    assert epoch_ticks(1, 5, 60) == [1.0, 2.0, 3.0, 4.0, 5.0]
    ticks = epoch_ticks(1, 200, 30)
    assert len(ticks) <= 6 and all(t == int(t) for t in ticks)


def test_path_completion_finds_the_rest_of_a_name(tmp_path):
    (tmp_path / "sales-2026.csv").write_text("")
    (tmp_path / "images").mkdir()
    (tmp_path / ".hidden").write_text("")
    assert complete_path(str(tmp_path / "sal")) == str(tmp_path / "sales-2026.csv")
    assert complete_path(str(tmp_path / "ima")) == str(tmp_path / "images") + os.sep
    assert complete_path(str(tmp_path / "images")) == str(tmp_path / "images") + os.sep
    assert complete_path(str(tmp_path / "sales-2026.csv")) is None  # complete already
    assert complete_path(str(tmp_path / "zzz")) is None
    assert complete_path(str(tmp_path) + os.sep) == str(tmp_path / "images") + os.sep  # hidden names skipped
    assert complete_path("") is None


def test_user_settings_round_trip_and_survive_a_broken_file(tmp_path):
    from dlterm.tui.user_settings import UserSettings

    path = tmp_path / "conf" / "dashboard.toml"
    s = UserSettings(theme="nord", keys={"dlterm.train": "ctrl+t,f5"},
                     last={"cnn": {"tr-epochs": "3", "data-path": 'C:\\my "pics"', "tr-augment": True, "hp-dropout": 0.25}})
    s.save(path)
    back = UserSettings.load(path)
    assert (back.theme, back.keys, back.last, back.problem) == (s.theme, s.keys, s.last, None)
    path.write_text("theme = [1\n")
    broken = UserSettings.load(path)
    assert broken.theme is None and "fix or delete it" in broken.problem
    path.write_text('theme = 3\n[keys]\n"dlterm.train" = 5\n')
    typed = UserSettings.load(path)
    assert typed.theme is None and typed.keys == {} and "theme" in typed.problem and "keys.dlterm.train" in typed.problem
