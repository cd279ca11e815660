"""Deploy bundles: one folder a device can take as it is (``dlterm export RUN --bundle DIR``).

A single exported file needs its reader to know where the labels, the preprocessing and
a way to check the result are. A bundle carries all of it::

    model.onnx, model.tflite, ...   the chosen variants, verified against Keras: ONNX float32
                                    and the quantizations ONNX offers (model.dynamic.onnx,
                                    model.int8.onnx), TFLite with each (seq2seq:
                                    model.encoder.* + model.decoder.*)
    labels.txt                      classification: the class names, one a line, in output order
    metadata.json                   the model's metadata and one entry per variant
    README.md                       the model card: task, inputs, outputs, preprocessing,
                                    metrics per variant, how to run it
    sample.npz                      test examples, preprocessed, under their input names, with
                                    ``expected`` (Keras's outputs), ``y`` and what the device
                                    bench needs per task (loads with allow_pickle=False)
    inputs/                         a few raw test inputs in their own format (PNG, CSV, .txt)
                                    and ``expected.json`` (Keras's answers for them)
    SHA256SUMS                      written last (``sha256sum -c SHA256SUMS``)

Variants already exported, verified and unchanged since (their SHA-256 is recorded in
``exports.json``) are copied; the missing ones are exported first. Everything is written
into a temporary folder beside DIR and renamed at the end, so a failure leaves nothing
half-written, and an existing non-empty DIR is only replaced with ``force``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from dlterm import __version__
from dlterm.errors import DltermError
from dlterm.export import export_run, exportable, exports_of, file_sha256, metric_sample, rows, variants
from dlterm.export_variants import FORMATS
from dlterm.fileio import TEMP_PREFIX, current_umask
from dlterm.runstore import Run
from dlterm_edge.bundle import write_checksums

SAMPLE_SIZE = 200  # test examples in sample.npz
RAW_INPUTS = 5  # raw test inputs under inputs/


def write_bundle(run: Run, folder: str | os.PathLike, formats: list[str], quantizations: list[str], opset: int = 17,
                 force: bool = False, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write the bundle of ``run`` into ``folder``; returns its folder, variants and files."""
    folder = Path(folder).expanduser().absolute()
    check_target(folder, force)
    run_path = run.path.resolve()
    if folder.resolve() == run_path or run_path in folder.resolve().parents or folder.resolve() in run_path.parents:
        raise DltermError(f"{folder} holds or is inside the run's own folder",
                          "write the bundle outside the models folder")
    exportable(run)
    say = progress or (lambda message: None)
    variants = verified_variants(run, formats, quantizations, opset, say)
    say("writing the bundle")
    from dlterm import datasets
    from dlterm.trained_model import keras_predictor

    keras, _ = keras_predictor(run)
    cfg = run.meta["config"]
    data = datasets.load(run.meta["dataset"], cfg["data"], cfg["training"]["seed"])

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{folder.name}.", dir=folder.parent))
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes 0700; a bundle is for sharing
        entries = [_copy_variant(run, v, tmp) for v in variants]
        meta = {**_metadata_of(tmp / entries[0]["files"][0], keras.metadata), "variants": entries}
        meta.pop("part", None)
        meta.pop("quantize", None)
        if labels_of(meta):  # classifiers, whatever their task is called
            (tmp / "labels.txt").write_text("".join(f"{name}\n" for name in labels_of(meta)), encoding="utf-8")
        sample = test_sample(keras, data)
        np.savez(tmp / "sample.npz", **sample)
        raw = write_raw_inputs(tmp, keras, data)
        (tmp / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(model_card(meta, sample, raw), encoding="utf-8")
        os.chmod(write_checksums(tmp), 0o666 & ~current_umask())  # written via mkstemp (0600)
        _move_into_place(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return {"folder": str(folder), "variants": entries, "files": files}


def labels_of(meta: dict[str, Any]) -> list[str]:
    """The class names in output order ([] for a model that does not classify)."""
    return list(meta.get("class_names") or meta["preprocessing"].get("class_names") or [])


def check_target(folder: Path, force: bool) -> None:
    """Refuse a target that is a file, a symlink, or a non-empty folder (unless ``force``)."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise DltermError(f"{folder} exists and is not a folder", "choose a new folder for --bundle")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise DltermError(f"{folder} is not empty", "choose a new folder, or pass --force to replace it")


def _move_into_place(tmp: Path, folder: Path) -> None:
    """Rename the finished temporary folder to ``folder``; an old one goes only after that."""
    if not folder.exists():
        os.rename(tmp, folder)
        return
    old = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{folder.name}.old.", dir=folder.parent))
    os.rmdir(old)
    os.rename(folder, old)
    try:
        os.rename(tmp, folder)
    except BaseException:
        os.rename(old, folder)  # put the user's folder back
        raise
    shutil.rmtree(old, ignore_errors=True)


# -- variants ------------------------------------------------------------------------------

def verified_variants(run: Run, formats: list[str], quantizations: list[str], opset: int,
                      say: Callable[[str], None]) -> list[dict[str, Any]]:
    """One verified export result per wanted variant: reused when still fresh, else exported.

    The variants are the export's own (:func:`dlterm.export.variants`): each format with
    the quantizations it offers (ONNX: float32 always, dynamic, int8 as static QDQ)."""
    wanted = variants(formats, quantizations)
    fresh = fresh_exports(run)
    missing = [w for w in wanted if w not in fresh]
    for fmt in FORMATS:
        quants = [q for f, q in missing if f == fmt]
        if quants:
            fresh.update({(r["format"], r["quantize"]): r for r in export_run(run, [fmt], quants, opset, progress=say)})
    failed = [fresh[w] for w in wanted if not fresh[w].get("verified")]
    if failed:
        raise DltermError("; ".join(f"{r['format']} {r['quantize']} failed: {r['reason']}" for r in failed),
                          "leave the failed variants out of --quantize (nothing was written)", exit_code=1)
    return [fresh[w] for w in wanted]


def fresh_exports(run: Run) -> dict[tuple[str, str], dict[str, Any]]:
    """Recorded exports that were verified after the run's best model was saved and whose
    files still have the recorded SHA-256 (older records carry none and are redone)."""
    best_saved = run.file("best.keras").stat().st_mtime
    out = {}
    for record in exports_of(run):
        sums = record.get("sha256")
        if not (record.get("verified") and isinstance(sums, dict) and record.get("created", 0) >= best_saved):
            continue
        files = [run.file("exports") / Path(f).name for f in record.get("files") or [record["path"]]]
        if all(f.is_file() and sums.get(f.name) == file_sha256(f) for f in files):
            out[(record["format"], record["quantize"])] = record
    return out


def _copy_variant(run: Run, record: dict[str, Any], tmp: Path) -> dict[str, Any]:
    names = [Path(f).name for f in record.get("files") or [record["path"]]]
    for name in names:
        shutil.copyfile(run.file("exports") / name, tmp / name)
        if file_sha256(tmp / name) != record["sha256"][name]:  # changed while we copied
            raise DltermError(f"{name} changed while it was copied into the bundle", "run the command again", exit_code=1)
    keep = ("format", "quantize", "size_bytes", "max_abs_error", "samples", "metric", "keras_metric", "export_metric")
    return {"files": names, **{k: record[k] for k in keep if k in record}}


def _metadata_of(model_file: Path, fallback: dict[str, Any]) -> dict[str, Any]:
    """The metadata the exported file carries (what a device reads), else the run's."""
    from dlterm_edge.metadata import read_metadata

    try:
        return dict(read_metadata(model_file))
    except Exception:  # noqa: BLE001 - an older file without embedded metadata
        return dict(fallback)


# -- the test sample and raw inputs --------------------------------------------------------

def test_sample(keras: Any, data: Any) -> dict[str, np.ndarray]:
    """Up to SAMPLE_SIZE test examples: the model inputs by name (and what the task needs to
    judge outputs, see :meth:`Task.verification_inputs`), ``expected`` (Keras's task outputs)
    and ``y`` (the truth)."""
    from dlterm.tasks import get_task

    x, y = metric_sample(data)
    n = min(len(y), SAMPLE_SIZE)
    x, y = rows(x, slice(0, n)), y[:n]
    names = [i["name"] for i in keras.parts["model"]["inputs"]] if "model" in keras.parts else []  # seq2seq: parts
    sample = get_task(keras.task).verification_inputs(data, x, n, names)
    sample["expected"] = np.asarray(keras.outputs(x))
    sample["y"] = np.asarray(y)
    return sample


def write_raw_inputs(folder: Path, keras: Any, data: Any) -> list[dict[str, Any]]:
    """A few test inputs in their own format under ``inputs/`` (the task says which, see
    :meth:`Task.sample_inputs`), with Keras's answers for them, read back from those very
    files as ``predict`` reads them, in ``inputs/expected.json``."""
    from dlterm.tasks import get_task
    from dlterm_edge.inputs import read_inputs

    out = folder / "inputs"
    out.mkdir()
    task = get_task(keras.task)
    samples = task.sample_inputs(data, keras.prep, RAW_INPUTS)
    for sample in samples:
        (out / sample.file).write_bytes(sample.content)
    # The command-line form: a text input is read from a file with "@file"
    arguments = [("@" if task.text_input else "") + str(out / s.file) for s in samples]
    options = task.sample_predict_options()
    answers = keras.predict(read_inputs(keras, arguments), **options) if samples else []
    entries: list[dict[str, Any]] = []
    for sample, answer in zip(samples, answers):  # a forecast CSV is one input with one answer
        answer = dict(answer)
        answer.pop("input", None)  # the file says it
        entries.append({"file": f"inputs/{sample.file}", "truth": sample.truth, "expected": answer})
    (out / "expected.json").write_text(json.dumps({"options": options, "inputs": entries}, indent=2) + "\n",
                                       encoding="utf-8")
    return entries


# -- the model card ------------------------------------------------------------------------

def model_card(meta: dict[str, Any], sample: dict[str, np.ndarray], raw: list[dict[str, Any]]) -> str:
    """README.md of the bundle: what the model is, what it takes and gives, how to run it."""
    prep = meta["preprocessing"]
    lines = [f"# {meta['plugin']}: {meta['task']}", "",
             f"Run `{meta['run_id']}` of dlterm {meta.get('dlterm_version', __version__)}, trained on the "
             f"`{meta['dataset']}` dataset; bundle written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", "",
             "## Variants", "",
             "Every file was checked against the Keras model before it was written: the largest output difference "
             "on validation samples, and the task metric on the test split.", "",
             "| file(s) | format | quantization | size | max abs error vs Keras | test metric: Keras → file |",
             "|---|---|---|---|---|---|"]
    for v in meta["variants"]:
        metric = f"{v['metric']} {v['keras_metric']:.4g} → {v['export_metric']:.4g}" if "metric" in v else ""
        lines.append(f"| {', '.join(f'`{f}`' for f in v['files'])} | {v['format']} | {v['quantize']} | "
                     f"{v.get('size_bytes', 0) / 1e6:.2f} MB | {v.get('max_abs_error', 0):.1e} | {metric} |")
    lines += ["", "## Inputs and outputs", ""]
    parts = meta.get("parts") or {"model": {"inputs": meta.get("inputs", []), "outputs": meta.get("outputs", [])}}
    for name, part in parts.items():
        for kind in ("inputs", "outputs"):
            for t in part.get(kind) or []:
                shape = "(" + ", ".join("batch" if s is None else str(s) for s in t.get("shape") or []) + ")"
                prefix = f"{name} " if len(parts) > 1 else ""
                lines.append(f"- {prefix}{kind[:-1]} `{t['name']}`: {t.get('dtype', 'float32')}, shape {shape}")
    lines += ["", "## Preprocessing", "", *preprocessing_lines(meta["task"], prep), "",
              "`metadata.json` holds all of it as JSON (`preprocessing`); each model file carries the same metadata "
              "inside (ONNX: `metadata_props` key `dlterm`, plus flat keys such as `labels`; TFLite: a zip holding "
              "`metadata.json` appended to the file, which the stock interpreter ignores).", ""]
    if labels_of(meta):
        lines += ["`labels.txt`: the class names, one a line, in the order of the model's outputs.", ""]
    first = raw[0]["file"] if raw else "INPUT"
    lines += ["## Run it", "", "With the device runtime (no TensorFlow; add `[tflite]` for the .tflite files):", "",
              "```bash", "pip install dlterm-edge", "dlterm-edge info .            # checks SHA256SUMS, prints the metadata",
              f"dlterm-edge predict . {first}", "dlterm-edge bench .           # every variant on sample.npz",
              "```", "", "With plain onnxruntime:", "", "```python", *plain_script(meta), "```", "",
              "## Test sample", "",
              f"`sample.npz` (`numpy.load(path, allow_pickle=False)`): {len(sample['y'])} test examples: "
              + ", ".join(f"`{k}` {v.dtype} {'x'.join(map(str, v.shape))}" for k, v in sample.items()) + ". "
              "The inputs are preprocessed; `expected` is what the Keras model gave for them (probabilities, "
              "scaled changes, decoded ids), `y` the truth.", "",
              "`inputs/` holds a few raw test inputs in their own format; `inputs/expected.json` has Keras's answer "
              "for each (the same form `dlterm-edge predict --json` prints).", "",
              "Check the files with `sha256sum -c SHA256SUMS`.", ""]
    return "\n".join(lines)


def preprocessing_lines(task: str, prep: dict[str, Any]) -> list[str]:
    """The preprocessing in words (the JSON in metadata.json is the reference)."""
    if prep.get("kind") == "image":
        return ["1. Open the image with Pillow. If it has transparency (RGBA, LA, P or a transparency key), "
                "convert it to RGBA and alpha-composite it onto opaque white.",
                f"2. Convert to `{prep.get('color_mode')}` and resize to {prep['width']}x{prep['height']} with "
                f"Pillow's `{prep.get('resize', 'bilinear')}` filter (not Pillow's default, bicubic).",
                f"3. float32 pixels times {prep['scale']:.10g} (1/255): values in [0, 1]; layout "
                f"{prep.get('layout', 'NHWC')} (batch, height, width, {prep['channels']} channel(s))."]
    if prep.get("kind") == "series":
        return [f"Input: the last {prep['window']} rows of {', '.join(prep['columns'])} (oldest first); subtract "
                f"the window's last row and divide each column by its scale {prep['scale']}; float32, shape "
                f"(batch, {prep['window']}, {len(prep['columns'])}).",
                f"Output: the scaled change of `{prep['target']}`: forecast = last value + output x {prep['scale'][0]:.6g}."]
    if prep.get("kind") == "text":
        return [f"Lower-case, split into words with the regular expression `{prep.get('token_pattern')}`; map each "
                f"word to its position in `vocabulary` ({len(prep['vocabulary'])} entries; 0 padding, 1 unknown); "
                f"keep the first {prep['max_length']} ids and pad with 0 at the front; int32."]
    if prep.get("kind") == "pairs":
        return [f"Source characters → ids of `source_vocabulary` (0 padding, 1 unknown), front-padded to "
                f"{prep['source_length']}. The encoder gives the state; the decoder runs once per output token "
                f"(START={prep['start_token']} first) until END={prep['end_token']} or {prep['target_length']} tokens."]
    if prep.get("kind") == "chars":
        return [f"The last {prep['window']} characters as ids of `vocabulary` (0 padding, 1 unknown; a shorter seed "
                f"is padded on the left with spaces); the output is the next character's probabilities."]
    return [f"See `preprocessing` in metadata.json ({task})."]


def plain_script(meta: dict[str, Any]) -> list[str]:
    """A short onnxruntime script for this bundle's task (images: the full recipe)."""
    onnx_files = [f for v in meta["variants"] if v["format"] == "onnx" for f in v["files"]]
    model = onnx_files[0] if onnx_files else "model.onnx"
    if meta["preprocessing"].get("kind") == "image":
        return PLAIN_IMAGE_SCRIPT.replace("model.onnx", model).splitlines()
    return ["import json, numpy as np, onnxruntime as ort",
            f'session = ort.InferenceSession("{model}", providers=["CPUExecutionProvider"])',
            'meta = json.loads(session.get_modelmeta().custom_metadata_map["dlterm"])',
            "sample = np.load(\"sample.npz\", allow_pickle=False)",
            "name = session.get_inputs()[0].name",
            "outputs = session.run(None, {name: sample[name]})[0]" if "parts" not in meta
            else "state = session.run(None, {name: sample[name]})[0]  # then the decoder, step by step",
            "# preprocessing of new inputs: meta[\"preprocessing\"] (see above)"]


# The script the main README shows and a test runs: numpy, Pillow and onnxruntime only.
PLAIN_IMAGE_SCRIPT = '''import json, sys
import numpy as np, onnxruntime as ort
from PIL import Image

session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
props = session.get_modelmeta().custom_metadata_map
prep = json.loads(props["dlterm"])["preprocessing"]
img = Image.open(sys.argv[1])
if img.mode in ("RGBA", "LA", "P") or "transparency" in img.info:  # transparency onto white
    rgba = img.convert("RGBA")
    img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
img = img.convert(prep["color_mode"])
img = img.resize((prep["width"], prep["height"]), getattr(Image.Resampling, prep["resize"].upper()))
x = np.asarray(img, dtype=np.float32) * np.float32(prep["scale"])
x = x.reshape(1, prep["height"], prep["width"], prep["channels"])
probs = session.run(None, {session.get_inputs()[0].name: x})[0][0]
print(json.dumps(dict(zip(json.loads(props["labels"]), probs.tolist()))))
'''
