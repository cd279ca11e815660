"""The event stream: one schema, fanned out to sinks that must never stop training."""

import io
import json

from dlterm.events import Emitter, json_lines_sink, make_event, parse_event_line


def test_a_failing_display_is_dropped_and_the_others_keep_receiving(capsys):
    got = []

    def broken(event):
        raise ValueError("display bug")

    emitter = Emitter([broken, got.append])
    emitter.emit("epoch_end", epoch=1)
    emitter.emit("epoch_end", epoch=2)
    assert [e["epoch"] for e in got] == [1, 2]
    assert broken not in emitter.sinks
    err = capsys.readouterr().err
    assert "display failed" in err and "ValueError" in err and err.count("\n") == 1


def test_a_closed_pipe_drops_its_sink_quietly(capsys):
    def closed(event):
        raise BrokenPipeError

    emitter = Emitter([closed])
    emitter.emit("batch", step=1)
    assert emitter.sinks == [] and capsys.readouterr().err == ""


def test_json_lines_round_trip_through_the_parser():
    out = io.StringIO()
    emitter = Emitter([json_lines_sink(out)])
    emitter.run_id = "cnn-1"
    emitter.emit("epoch_end", epoch=3, metrics={"loss": 0.5})
    line = out.getvalue()
    assert line.endswith("\n") and line.count("\n") == 1
    event = parse_event_line(line)
    assert event["event"] == "epoch_end" and event["run_id"] == "cnn-1" and event["metrics"] == {"loss": 0.5}


def test_the_parser_ignores_what_is_not_an_event():
    assert parse_event_line("INFO: Created TensorFlow Lite XNNPACK delegate") is None
    assert parse_event_line("{not json") is None
    assert parse_event_line(json.dumps({"no": "type"})) is None
    assert parse_event_line(json.dumps([1, 2])) is None
    assert make_event("x", None, a=1)["a"] == 1
