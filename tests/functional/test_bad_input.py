"""Malformed input across every command: one clear line, the right exit code, no
traceback, and nothing new or half-written in the models folder."""

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.conftest import cli_env
from tests.conftest import run_cli_here as run_cli
from tests.functional.hostile import fifo, png_header, zip_bomb

pytestmark = pytest.mark.slow

BAD_PLUGINS = {
    "raises": "def build(spec, hp):\n    raise ValueError('no good')\n",
    "wrongshape": ("def build(spec, hp):\n    from dlterm.keras_env import keras, layers\n"
                   "    i = keras.Input(spec.input_shape)\n    return keras.Model(i, layers.Dense(3)(layers.Flatten()(i)))\n"),
}
HEADER = ('from dlterm.plugin_api import Int\nNAME = "{name}"; TITLE = "t"; DESCRIPTION = "d"\n'
          'TASK = "image-classification"; DEFAULT_DATASET = "shapes"; HYPERPARAMETERS = []\n')


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A models folder with a finished cnn and lstm run (cnn exported), and bad files."""
    root = tmp_path_factory.mktemp("bad")
    env = cli_env(root)
    plugins = root / "plugins"
    plugins.mkdir()
    for name, body in BAD_PLUGINS.items():
        (plugins / f"{name}.py").write_text(HEADER.format(name=name) + body)
    (plugins / "broken.py").write_text("def build(:\n")
    for args in (["train", "cnn", "--epochs", "1", "--set", "data.samples=200", "--set", "filters=4", "--set", "blocks=2"],
                 ["train", "lstm", "--epochs", "1", "--set", "data.length=200", "--set", "units=4"]):
        assert run_cli([*args, "--json"], env).returncode == 0
    runs = {r["plugin"]: r for r in json.loads(run_cli(["runs", "--json"], env).stdout)}
    assert run_cli(["export", runs["cnn"]["id"], "--format", "onnx"], env).returncode == 0
    files = root / "files"
    files.mkdir()
    (files / "empty.csv").write_text("")
    (files / "words.csv").write_text("date,value\n2020-01,high\n2020-02,low\n")
    (files / "short.csv").write_text("v\n" + "\n".join(str(i) for i in range(10)) + "\n")
    (files / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (files / "notes.txt").write_text("not an image")
    (files / "empty.txt").write_text("")
    (files / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (files / "onelabel.csv").write_text("text,label\n" + "".join(f"line {i},good\n" for i in range(20)))
    (files / "nopairs.tsv").write_text("just one column\nand another line\n")
    (files / "tiny.txt").write_text("To be, or not to be.")
    (files / "bad.toml").write_text("[training\nepochs = 3\n")
    (files / "unknown.toml").write_text("colour = 'red'\n")
    (files / "table.toml").write_text("training = 3\n")
    (files / "wrongtype.toml").write_text("[hyperparameters]\nfilters = 'many'\n")
    for folder, classes in (("empty_folder", {}), ("one_class", {"a": 3}), ("corrupt", {"a": 3, "b": 3})):
        (files / folder).mkdir()
        for cls, n in classes.items():
            (files / folder / cls).mkdir()
            for i in range(n):
                content = b"garbage" if folder == "corrupt" else _png()
                (files / folder / cls / f"{i}.png").write_bytes(content)
    onnx_path = Path(runs["cnn"]["run_dir"]) / "exports" / "model.onnx"
    (files / "cut.onnx").write_bytes(onnx_path.read_bytes()[:3000])
    (files / "junk.tflite").write_text("hello")
    (files / "model.txt").write_text("hello")
    _foreign_onnx(files / "foreign.onnx")
    cut_run = Path(runs["cnn"]["run_dir"]).parent / "cnn-cut"
    shutil.copytree(runs["cnn"]["run_dir"], cut_run)
    meta = json.loads((cut_run / "run.json").read_text())
    (cut_run / "run.json").write_text(json.dumps({**meta, "id": "cnn-cut"}))
    (cut_run / "best.keras").write_bytes((cut_run / "best.keras").read_bytes()[:500])
    # hostile model and image files
    zip_bomb(files / "bomb.keras", model=Path(runs["cnn"]["run_dir"]) / "best.keras")
    with zipfile.ZipFile(files / "foreign.keras", "w") as z:  # a zip, but no Keras model in it
        z.writestr("readme.txt", "hello")
    (files / "text.keras").write_text("hello")
    # the real model, but its config asks for a Dense of 10**9 units: 4 GB once Keras builds it
    shutil.copy(Path(runs["cnn"]["run_dir"]) / "best.keras", files / "huge.keras")
    _replace_member(files / "huge.keras", "config.json", _huge_dense(files / "huge.keras"))
    png_header(files / "huge.png", 20000, 20000)
    fifo(files / "pipe.png")
    for name, change in (("cnn-bomb", lambda p: shutil.copy(files / "bomb.keras", p)),
                         ("cnn-tampered", lambda p: _replace_member(p, "config.json", b'{"class_name": "os.system"}')),
                         ("cnn-huge", lambda p: shutil.copy(files / "huge.keras", p))):
        copy = Path(runs["cnn"]["run_dir"]).parent / name
        shutil.copytree(runs["cnn"]["run_dir"], copy)
        (copy / "run.json").write_text(json.dumps({**meta, "id": name}))
        change(copy / "best.keras")
    running = Path(runs["cnn"]["run_dir"]).parent / "cnn-running"
    running.mkdir()
    (running / "run.json").write_text(json.dumps({**meta, "id": "cnn-running", "status": "running", "pid": os.getpid()}))
    failed = Path(runs["cnn"]["run_dir"]).parent / "cnn-failed"
    failed.mkdir()
    (failed / "run.json").write_text(json.dumps({**meta, "id": "cnn-failed", "status": "failed", "epochs_completed": 0}))
    return {"env": env, "files": files, "cnn": runs["cnn"]["id"], "lstm": runs["lstm"]["id"],
            "onnx": str(onnx_path), "models": Path(env["DLTERM_HOME"])}


def _replace_member(path: Path, member: str, data: bytes) -> None:
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path, "w") as z:
        for name, content in {**members, member: data}.items():
            z.writestr(name, content)


def _huge_dense(path: Path) -> bytes:
    """The model's config.json with its first Dense layer declaring 10**9 units."""
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
    dense = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")
    dense["config"]["units"] = 10**9
    return json.dumps(config).encode()


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format="PNG")
    return buf.getvalue()


def _foreign_onnx(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), str(path))


F = "{files}"
CASES = [
    # plugins and settings
    (["train", "nosuch"], 2, "unknown plugin 'nosuch'"),
    (["plugins", "show", "nosuch"], 2, "unknown plugin 'nosuch'"),
    (["train", "broken"], 2, "plugin 'broken' is broken: syntax error"),
    (["train", "cnn", "--dataset", "nosuch"], 2, "unknown dataset 'nosuch'"),
    (["train", "cnn", "--dataset", "seasonal"], 2, "is for sequence-forecasting"),
    (["train", "cnn", "--set", "filters=lots"], 2, "invalid hyperparameter filters: expected a whole number"),
    (["train", "cnn", "--set", "filters=0"], 2, "below the minimum 4"),
    (["train", "cnn", "--set", "colour=red"], 2, "unknown setting 'colour'"),
    (["train", "cnn", "--set", "filterz=8"], 2, "did you mean 'filters'"),
    (["train", "cnn", "--set", "momentum=0.5"], 2, "momentum only applies to the sgd optimizer"),
    (["train", "lstm", "--augment"], 2, "augmentation is for images"),
    (["train", "cnn", "--epochs", "0"], 2, "below the minimum 1"),
    (["train", "cnn", "--epochs", "abc"], 2, "Invalid value for '--epochs'"),
    (["train", "cnn", "--bogus"], 2, "No such option: --bogus"),
    (["train", "cnn", "--optimizer", "lion"], 2, "not one of adam"),
    (["train", "cnn", "--lr", "-1"], 2, "below the minimum"),
    (["train", "cnn", "--set", "epochs"], 2, "is not key=value"),
    (["train", "cnn", "--set", "data.colour=1"], 2, "unknown setting 'colour' for dataset 'shapes'"),
    # config files
    (["train", "cnn", "--config", "nope.toml"], 2, "config file not found"),
    (["train", "cnn", "--config", F + "/bad.toml"], 2, "is not valid TOML"),
    (["train", "cnn", "--config", F + "/unknown.toml"], 2, "unknown key 'colour'"),
    (["train", "cnn", "--config", F + "/table.toml"], 2, "[training] must be a table"),
    (["train", "cnn", "--config", F + "/wrongtype.toml"], 2, "invalid hyperparameter filters"),
    (["train", "cnn", "--config", F], 2, "is a folder, not a file"),
    # CSV series
    (["train", "lstm", "--data", F + "/empty.csv"], 2, "has no data rows"),
    (["train", "lstm", "--data", F + "/words.csv"], 2, "numeric columns: none"),
    (["train", "lstm", "--data", F + "/short.csv", "--window", "12"], 2, "too short for a window of 12"),
    (["train", "lstm", "--data", F + "/short.csv", "--column", "price"], 2, "has no column 'price'"),
    (["train", "lstm", "--data", F + "/binary.csv"], 2, "not a readable text CSV"),
    (["train", "lstm", "--data", F + "/missing.csv"], 2, "--data path not found"),
    # image folders
    (["train", "cnn", "--data", F + "/empty_folder"], 2, "no images found"),
    (["train", "cnn", "--data", F + "/one_class"], 2, "has only one class (a)"),
    (["train", "cnn", "--data", F + "/corrupt"], 2, "has only 0 readable images"),
    (["train", "cnn", "--data", F + "/nowhere"], 2, "--data path not found"),
    (["train", "lstm", "--data", F + "/one_class"], 2, "is a folder, not a file"),
    # text, pairs and corpus files
    (["train", "bilstm", "--data", F + "/empty.txt"], 2, "has no rows"),
    (["train", "bilstm", "--data", F + "/binary.txt"], 2, "is a binary file, not text"),
    (["train", "bilstm", "--data", F + "/onelabel.csv"], 2, "has only one label (good)"),
    (["train", "bilstm", "--data", F + "/onelabel.csv", "--set", "data.text_column=review"], 2, "has no column 'review'"),
    (["train", "bilstm", "--data", F + "/notes.txt"], 2, "cannot tell which column is the text"),
    (["train", "seq2seq", "--data", F + "/nopairs.tsv"], 2, "has no source<TAB>target pairs"),
    (["train", "seq2seq", "--data", F + "/binary.txt"], 2, "is a binary file, not text"),
    (["train", "charlstm", "--data", F + "/empty.txt"], 2, "is empty"),
    (["train", "charlstm", "--data", F + "/tiny.txt"], 2, "too short for windows of 40"),
    (["train", "charlstm", "--data", F + "/tiny.txt", "--augment"], 2, "augmentation is for images"),
    # transfer learning
    (["train", "mobilenet", "--weights", "nope.h5", "--set", "data.samples=60"], 2, "weights file not found: nope.h5"),
    (["train", "mobilenet", "--weights", "run:nosuch", "--set", "data.samples=60"], 2, "unknown run 'nosuch'"),
    (["train", "mobilenet", "--weights", "run:{lstm}", "--set", "data.samples=60"], 2, "has no MobileNetV2 base"),
    (["train", "mobilenet", "--weights", "run:cnn-bomb", "--set", "data.samples=60"], 2, "would expand to 3.75 GiB"),
    (["train", "mobilenet", "--weights", F + "/bomb.keras", "--set", "data.samples=60"], 2, "would expand to 3.75 GiB"),
    (["train", "mobilenet", "--weights", F + "/foreign.keras", "--set", "data.samples=60"], 2, "is not a Keras model file (it has no config.json)"),
    (["train", "mobilenet", "--weights", F + "/huge.keras", "--set", "data.samples=60"], 2, "parameters (largest layer dense (Dense): "),
    (["train", "mobilenet", "--weights", "run:cnn-huge", "--set", "data.samples=60"], 2, "over the limit of 536,870,912 (2 GiB of float32)"),
    (["train", "mobilenet", "--weights", F + "/text.keras", "--set", "data.samples=60"], 2, "is not a Keras model file"),
    (["train", "mobilenet", "--weights", "/dev/zero", "--set", "data.samples=60"], 2, "weights file /dev/zero is a device"),
    # runs
    (["show", "nosuch"], 2, "unknown run 'nosuch'"),
    (["show", "../../etc"], 2, "not a valid run id"),
    (["evaluate", "{cnn}", "--checkpoint", "worst"], 2, "unknown checkpoint 'worst'"),
    (["evaluate", "cnn-cut"], 2, "is not a Keras model file (not a readable .keras zip)"),
    (["evaluate", "cnn-tampered"], 2, "cannot load the model"),
    (["predict", "cnn-tampered", "x.png"], 2, "holds a dict, not a Keras model"),
    (["evaluate", "cnn-bomb"], 2, "would expand to 3.75 GiB, over the limit of 2 GiB"),
    (["predict", "cnn-bomb", "x.png"], 2, "would expand to 3.75 GiB"),
    (["evaluate", "cnn-huge"], 2, "parameters (largest layer dense (Dense): "),
    (["predict", "cnn-huge", "x.png"], 2, "over the limit of 536,870,912"),
    (["export", "cnn-huge", "--format", "onnx"], 2, "over the limit of 536,870,912"),
    (["train", "--resume", "{cnn}"], 2, "has already trained 1 of 1 epochs"),
    (["train", "--resume", "{cnn}", "--epochs", "3", "--set", "filters=8"], 2, "cannot change filters"),
    (["train", "--resume", "cnn-failed"], 2, "has no completed epoch"),
    # export
    (["export", "{cnn}", "--format", "coreml"], 2, "unknown export format 'coreml'"),
    (["export", "{cnn}", "--quantize", "int4"], 2, "unknown quantization 'int4'"),
    (["export", "{cnn}", "--opset", "99"], 2, "opset 99 is not supported"),
    (["export", "cnn-running"], 2, "is still training"),
    (["export", "cnn-failed"], 2, "has no saved model"),
    # predict
    (["predict", "missing.onnx", "x.png"], 2, "model file or bundle not found: missing.onnx"),
    (["predict", F + "/cut.onnx", "x.png"], 2, "not a usable ONNX model"),
    (["predict", F + "/junk.tflite", "x.png"], 2, "not a usable TFLite model"),
    (["predict", F + "/foreign.onnx", "x.png"], 2, "has no dlterm metadata"),
    (["predict", F + "/model.txt", "x.png"], 2, "expected a .onnx or .tflite file"),
    (["predict", "{onnx}", "12"], 2, "image not found: 12"),
    (["predict", "{onnx}", F + "/notes.txt"], 2, "is not a readable image"),
    (["predict", "{onnx}", F + "/huge.png"], 2, "is 20000x20000 pixels, over the limit of 50,000,000 pixels"),
    (["predict", "{cnn}", F + "/huge.png"], 2, "is 20000x20000 pixels"),
    (["predict", "{onnx}", F + "/pipe.png"], 2, "is a FIFO (named pipe), not a regular file"),
    (["predict", "{onnx}", "/dev/zero"], 2, "image /dev/zero is a device"),
    (["predict", "{onnx}", F + "/empty.txt"], 2, "is not a readable image"),
    (["predict", "{lstm}", F + "/binary.csv"], 2, "is not a readable CSV file"),
    (["predict", "{lstm}", "up", "down"], 2, "must be numbers"),
    (["predict", "{lstm}", "1", "2", "3"], 2, "need at least 12 recent values"),
    (["predict", "{lstm}", *["1"] * 12, "--steps", "0"], 2, "Invalid value for '--steps'"),
    (["predict", "{lstm}", *["1"] * 12, "--temperature", "-1"], 2, "Invalid value for '--temperature'"),
    # plugin bugs
    (["train", "raises", "--set", "data.samples=100"], 1, "failed to build its model: ValueError: no good"),
    (["train", "wrongshape", "--set", "data.samples=100"], 1, "output shape (None, 3), but the data needs (None, 4)"),
]


def snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "tensorboard" not in p.parts}


@pytest.mark.parametrize("args, code, message", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_bad_input(world, args, code, message):
    args = [a.format(files=world["files"], cnn=world["cnn"], lstm=world["lstm"], onnx=world["onnx"]) for a in args]
    before = snapshot(world["models"])
    result = run_cli(args, world["env"])
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0]
    assert " — " in lines[0]  # a hint follows the problem
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert snapshot(world["models"]) == before  # nothing created, nothing half-written
