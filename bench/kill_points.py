"""Kill the current dlterm process (SIGKILL, as `kill -9` does) at a chosen write boundary.

Used by ``bench/kill_stress.py``: it runs dlterm through :func:`main` with
``DLTERM_KILL_AT=<point>`` and ``DLTERM_KILL_NTH=<n>`` set, and this module wraps the
store's write steps so that the n-th time the point is reached the process dies exactly
there. Nothing in dlterm itself knows about these points.

Points:
  checkpoint-written  epoch n's checkpoint is written, history and run.json are not
  during-history      half of history.csv is in its temporary file
  during-run-json     half of run.json (the epoch's commit) is in its temporary file
  after-run-json      run.json records epoch n; its checkpoints are not promoted yet
  during-export       half of an exported model file is in its temporary file
  export-landed       an export's files have landed; exports.json is not updated yet
"""

from __future__ import annotations

import os
import signal
import sys

POINTS = ("checkpoint-written", "during-history", "during-run-json", "after-run-json", "during-export", "export-landed")


def arm() -> None:
    point, nth = os.environ.get("DLTERM_KILL_AT"), int(os.environ.get("DLTERM_KILL_NTH", "1"))
    if point is None:
        return
    assert point in POINTS, point
    seen = {"n": 0}

    def reached() -> bool:
        seen["n"] += 1
        return seen["n"] == nth

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    from dlterm import export, runstore
    from dlterm.fileio import atomic_path

    def half_written(target, text: bytes | str) -> None:
        with atomic_path(target) as tmp:
            data = text.encode() if isinstance(text, str) else text
            tmp.write_bytes(data[: len(data) // 2])
            die()

    if point == "checkpoint-written":
        import dlterm.training.callbacks.recorder as recorder

        real_save = recorder.save_model

        def save_model(model, target):
            real_save(model, target)
            if os.path.basename(target).startswith("last.epoch-") and reached():
                die()

        recorder.save_model = save_model
    elif point == "during-history":
        real_write_history = runstore.Run.write_history

        def write_history(self, rows):
            if reached():
                header = ",".join(rows[0]) + "\n"
                half_written(self.file(runstore.HISTORY_CSV), header + "\n".join(",".join(map(str, r.values())) for r in rows))
            real_write_history(self, rows)

        runstore.Run.write_history = write_history
    elif point in ("during-run-json", "after-run-json"):
        real_commit = runstore.Run.commit_epoch

        def commit_epoch(self, epoch, **fields):
            if reached():
                if point == "during-run-json":
                    import json

                    half_written(self.file(runstore.RUN_JSON), json.dumps({**self.meta, **fields, "epochs_completed": epoch}))
                self.update(epochs_completed=epoch, **fields)
                die()
            real_commit(self, epoch, **fields)

        runstore.Run.commit_epoch = commit_epoch
    elif point == "during-export":
        # Both writers take (what to write, the file's temporary path, ...) and write it whole.
        real_onnx, real_tflite = export._write_onnx, export._to_tflite

        def cut(real):
            def convert(first, path, *args, **kwargs):
                real(first, path, *args, **kwargs)
                if reached():
                    data = path.read_bytes()
                    path.write_bytes(data[: len(data) // 2])
                    die()
            return convert

        export._write_onnx, export._to_tflite = cut(real_onnx), cut(real_tflite)
    elif point == "export-landed":
        real_record = export._record

        def record(run, result):
            if reached():
                die()
            real_record(run, result)

        export._record = record


def main() -> None:
    """``python kill_points.py dlterm-args...``: dlterm with the kill point armed."""
    arm()
    from dlterm.__main__ import main as dlterm_main

    sys.argv = ["dlterm", *sys.argv[1:]]
    dlterm_main()


if __name__ == "__main__":
    main()
