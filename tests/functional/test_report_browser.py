"""The HTML report renders in a real browser (headless Chromium, where installed).

The report is built from hand-made run folders (no training), opened from a file with
the network off, and screenshot; a blank or broken page has almost no pixel variance.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dlterm.report import write_report
from dlterm.runstore import RunStore
from tests.unit.run_folders import make_run

BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def screenshot(html: Path, png: Path, width: int = 1200, height: int = 1600) -> None:
    subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--disable-background-networking", "--proxy-server=127.0.0.1:9",  # nothing may load
                    f"--window-size={width},{height}", f"--screenshot={png}", html.as_uri()],
                   check=True, capture_output=True, timeout=120)


@pytest.mark.skipif(BROWSER is None, reason="no headless Chromium (apt-get install chromium)")
def test_the_report_renders_in_headless_chromium(tmp_path):
    from PIL import Image, ImageStat

    models = tmp_path / "models"
    make_run(models, "cnn-1", evaluation={"samples": 20, "metrics": {"accuracy": 0.75}, "class_names": ["a", "b", "c"],
                                          "confusion_matrix": [[6, 1, 0], [2, 5, 0], [0, 1, 5]]})
    make_run(models, "cnn-2", lr=0.01, history="epoch,loss,val_loss\n1,1.2,1.3\n2,0.8,1.0\n3,0.5,0.9\n")
    store = RunStore(models)
    html = write_report([store.get("cnn-1"), store.get("cnn-2")], tmp_path / "report.html")
    png = tmp_path / "report.png"
    screenshot(html, png)
    image = Image.open(png).convert("L")
    assert image.size == (1200, 1600)
    spread = ImageStat.Stat(image).stddev[0]
    assert spread > 20, f"the page looks blank (pixel standard deviation {spread:.1f})"
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    screenshot(blank, tmp_path / "blank.png")
    assert ImageStat.Stat(Image.open(tmp_path / "blank.png").convert("L")).stddev[0] < 1  # the measure can fail
