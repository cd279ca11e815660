"""The Runs tab's export form offers what `dlterm export` accepts, per format, and passes
the choice on (run_cli is recorded: no export runs)."""

import asyncio
import time

from textual.widgets import Select

from dlterm.export_variants import FORMAT_QUANTIZATIONS, QUANTIZATIONS
from dlterm.runstore import Run
from dlterm.tui.app import DltermApp
from dlterm.tui.runs_pane import RunsPane


def write_run(models):
    path = models / "cnn-20261205-120000"
    path.mkdir(parents=True)
    run = Run(path, {"id": path.name, "plugin": "cnn", "task": "image-classification", "dataset": "shapes",
                     "created": time.time(), "status": "completed", "epochs_completed": 1, "params": 100,
                     "config": {"hyperparameters": {}, "training": {"epochs": 1}, "data": {}}})
    run.save()
    return run


def offered(app):
    # Select has no public list of its options (textual 8.2)
    select = app.query_one("#export-quantize", Select)
    return [value for _, value in select._options if value is not Select.BLANK]


def test_the_quantize_choices_follow_the_format_and_reach_the_command(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    monkeypatch.setenv("DLTERM_CONFIG_DIR", str(tmp_path / "config"))
    run = write_run(tmp_path / "models")
    calls = []
    monkeypatch.setattr(RunsPane, "run_cli", lambda self, args, doing: calls.append(args))
    app = DltermApp(str(tmp_path / "models"), [])

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("r")
            await pilot.pause()
            seen = {"onnx": offered(app)}
            fmt, quantize = app.query_one("#export-format", Select), app.query_one("#export-quantize", Select)
            for choice in ("tflite", "all"):
                fmt.value = choice
                await pilot.pause()
                seen[choice] = offered(app)
            fmt.value = "tflite"
            await pilot.pause()
            quantize.value = "int8-full"
            await pilot.pause()
            app.query_one("#export-button").press()
            await pilot.pause()
            fmt.value = "onnx"  # ONNX has no int8-full: the choice falls back to none
            await pilot.pause()
            return seen, quantize.value

    seen, after = asyncio.run(scenario())
    assert seen == {"onnx": [*FORMAT_QUANTIZATIONS["onnx"], "all"], "tflite": [*QUANTIZATIONS, "all"],
                    "all": [*QUANTIZATIONS, "all"]}
    assert "int8-full" in seen["tflite"]
    assert calls == [["export", run.id, "--format", "tflite", "--quantize", "int8-full"]]
    assert after == "none"
