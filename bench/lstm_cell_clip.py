"""Diagnosis: why a trained charlstm's TFLite file disagreed with Keras (README, "Why a
TFLite LSTM disagreed with Keras").

    nice -n 10 python bench/lstm_cell_clip.py MODELS_DIR RUN_ID

RUN_ID: a charlstm run (e.g. `dlterm train charlstm --data tinyshakespeare_input.txt --set
max_minutes=1`). Prints each check's maximum absolute error against Keras on 128 validation
windows and writes bench/results/lstm_cell_clip.json.
"""

from __future__ import annotations

import sys

import numpy as np
from common import save


def main(models: str, run_id: str) -> None:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from dlterm import datasets
    from dlterm.export import _convert, unrolled
    from dlterm.keras_env import keras
    from dlterm.runstore import RunStore
    from dlterm.tflite_lstm import without_cell_clip
    from dlterm.trained_model import keras_predictor

    run = RunStore(models).get(run_id)
    _, parts = keras_predictor(run)
    model = parts["model"]
    data = datasets.load(run.meta["dataset"], run.meta["config"]["data"], run.seed)
    x = data.x_val[:128]
    ref = np.asarray(model(x, training=False))

    def tflite(content: bytes, xs: np.ndarray, resolver=OpResolverType.AUTO) -> np.ndarray:
        it = Interpreter(model_content=content, experimental_op_resolver_type=resolver)
        it.allocate_tensors()
        d, o = it.get_input_details()[0], it.get_output_details()[0]
        outs = []
        for i in range(len(xs)):
            it.reset_all_variables()
            it.set_tensor(d["index"], xs[i:i + 1].astype(d["dtype"]))
            it.invoke()
            outs.append(it.get_tensor(o["index"]))
        return np.concatenate(outs)

    def lstm64(layer, seq: np.ndarray, clip: float | None = None) -> tuple[np.ndarray, float]:
        k, r, b = (w.astype(np.float64) for w in layer.get_weights())
        h = np.zeros((len(seq), r.shape[0]))
        c = np.zeros_like(h)
        outs, cmax = [], 0.0
        for t in range(seq.shape[1]):
            i, f, g, o = np.split(seq[:, t] @ k + h @ r + b, 4, axis=1)
            c = _sig(f) * c + _sig(i) * np.tanh(g)
            if clip:
                c = np.clip(c, -clip, clip)
            h = _sig(o) * np.tanh(c)
            outs.append(h)
            cmax = max(cmax, float(np.abs(c).max()))
        return (np.stack(outs, 1) if layer.return_sequences else h), cmax

    def float64_model(xs: np.ndarray) -> np.ndarray:
        seq = None
        for layer in model.layers:
            kind = type(layer).__name__
            if kind == "Embedding":
                seq = layer.get_weights()[0].astype(np.float64)[xs]
            elif kind == "LSTM":
                seq, _ = lstm64(layer, seq)
            elif kind == "Dense":
                z = seq @ layer.get_weights()[0].astype(np.float64) + layer.get_weights()[1]
                z = np.exp(z - z.max(axis=1, keepdims=True))
                seq = z / z.sum(axis=1, keepdims=True)
        return seq

    out: dict[str, object] = {"run_id": run_id, "samples": len(x)}
    out["keras_vs_float64"] = float(np.abs(ref - float64_model(x)).max())
    fused = _convert(model, "none", None, False)
    out["fused_xnnpack"] = float(np.abs(tflite(fused, x) - ref).max())
    out["fused_reference_kernels"] = float(np.abs(tflite(fused, x, OpResolverType.BUILTIN_REF) - ref).max())
    out["unrolled"] = float(np.abs(tflite(_convert(unrolled(model), "none", None, False), x) - ref).max())
    fixed, clipped = without_cell_clip(fused)
    out["clipped_ops"] = clipped
    out["fused_cell_clip_0"] = float(np.abs(tflite(fixed, x) - ref).max())
    out["float16_before_after"] = [float(np.abs(tflite(d, x) - ref).max())
                                   for d in (_convert(model, "float16", None, False),
                                             without_cell_clip(_convert(model, "float16", None, False))[0])]
    first = next(layer for layer in model.layers if type(layer).__name__ == "LSTM")
    sub = keras.Model(model.input, first.output)
    got = tflite(_convert(sub, "none", None, False), x)
    emb = model.layers[1].get_weights()[0].astype(np.float64)[x]
    out["first_layer_error_by_step"] = [float(e) for e in np.abs(got - np.asarray(sub(x))).max(axis=(0, 2))]
    _, out["first_layer_max_cell"] = lstm64(first, emb)
    out["first_layer_vs_clipped_float64"] = {str(c): float(np.abs(got - lstm64(first, emb, c)[0]).max())
                                             for c in (9, 10, 12)}
    save("lstm_cell_clip", out)


def _sig(v: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-v))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
