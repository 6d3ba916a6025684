"""Train the demo language model with quantisation-aware training (issue 10, part 3).

``python -m lutgrid.train_demo`` (needs the ``train`` extra: ``pip install -e
'.[train]'``, which brings torch; nothing at run time needs it) trains the model of
:mod:`compiler.window_lm` on the training part of the demo corpus
(:mod:`lutgrid.corpus`) and writes

* ``lutgrid/data/demo_lm.json``: the integer model as a model file (docs/MODEL_FORMAT.md);
* ``lutgrid/data/demo_lm_meta.json``: the shape, the seed and the schedule, and the
  held-out accuracies measured at training time (float, integer reference).

Two phases, both with Adam on mini-batches of windows drawn with a fixed seed:

1. *float*: the same network with real weights and activations (the shifts are
   divisions, the saturations clamps, nothing is rounded). Its held-out accuracy is
   the ``float`` figure.
2. *QAT*: the same network, every weight, bias and activation rounded as the integer
   model rounds it (round half up, DESIGN §5 ``rshift``), gradients passed straight
   through the rounding.

The exported integers are checked before anything is written: the graph's numpy
reference (:func:`compiler.ir.reference`) must predict exactly what the rounded
network predicts on the whole held-out part. Deterministic on one machine and torch
version (``torch.use_deterministic_algorithms``); the files record the version.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from compiler.model_file import save_model
from compiler.window_lm import WindowLMParams, WindowLMSpec, token_words, window_lm_graph
from fabric.bitstream import atomic_write_bytes
from lutgrid.corpus import load
from lutgrid.demo_lm import reference_predictions

DATA = Path(__file__).resolve().parent / "data"
MODEL = "demo_lm.json"
META = "demo_lm_meta.json"
#: The shipped model's shape (see docs/DEMO_LM.md for how it was chosen).
SPEC = WindowLMSpec(vocab=32, context=4, hidden=64, act_bits=4, logit_bits=6, shift1=5,
                    shift2=4, embed=16, embed_bits=3, shift_e=1)


def windows(ids: np.ndarray, spec: WindowLMSpec) -> np.ndarray:
    """``(T, context * id_bits)`` first-layer inputs of a stream started by a ``first``:
    the one-bit words of symbols ``t, t-1, ..`` (id 0 before the start)."""
    words = token_words(ids, spec.id_bits)
    cols = []
    for j in range(spec.context):
        w = np.zeros_like(words)
        w[j:] = words[:len(words) - j]
        cols.append(w)
    return np.concatenate(cols, axis=1)


def train(spec: WindowLMSpec, seed: int, float_epochs: int, qat_epochs: int,
          batch: int, lr: tuple[float, float] = (0.03, 0.01), tau: float | None = None,
          log=print
          ) -> tuple[WindowLMParams, dict[str, float]]:
    """Train (module docstring); returns the integer parameters and the held-out
    accuracies ``float`` and ``qat`` (the rounded network's)."""
    import torch

    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)
    corpus = load()
    tr = np.asarray(corpus.train, dtype=np.int64)
    te = np.asarray(corpus.held_out, dtype=np.int64)
    X = torch.tensor(windows(tr, spec)[:-1], dtype=torch.float32)
    Y = torch.tensor(tr[1:])
    Xt = torch.tensor(windows(te, spec)[:-1], dtype=torch.float32)
    Yt = torch.tensor(te[1:])
    amax, lmax = 1 << (spec.act_bits - 1), 1 << (spec.logit_bits - 1)
    gen = torch.Generator().manual_seed(seed)
    n = spec.id_bits
    if spec.embed:
        we = (torch.randn(spec.embed, n, generator=gen) * 3.0).requires_grad_()
        be = torch.zeros(spec.embed, requires_grad=True)
    w1 = (torch.randn(spec.hidden, spec.inputs, generator=gen)
          * (1.5 if spec.embed else 2.0)).requires_grad_()
    b1 = torch.zeros(spec.hidden, requires_grad=True)
    w2 = (torch.randn(spec.vocab, spec.hidden, generator=gen) * 1.0).requires_grad_()
    b2 = torch.zeros(spec.vocab, requires_grad=True)

    def rnd(v):   # round half up, gradient straight through; exact (v - v is 0)
        return torch.floor(v + 0.5).detach() + (v - v.detach())

    def embed(x, quant: bool):   # every symbol's id bits -> its code (0 .. 2**E - 1)
        if not spec.embed:
            return x
        ae, ce = (rnd(we), rnd(be)) if quant else (we, be)
        v = (x.reshape(len(x), spec.context, n) @ ae.T + ce) / (1 << spec.shift_e)
        v = torch.clamp(rnd(v) if quant else v, 0, (1 << spec.embed_bits) - 1)
        return v.reshape(len(x), spec.inputs)

    def logits(x, quant: bool):
        a1, c1, a2, c2 = w1, b1, w2, b2
        if quant:
            a1, c1, a2, c2 = rnd(a1), rnd(c1), rnd(a2), rnd(c2)
        x = embed(x, quant)
        h = (x @ a1.T + c1) / (1 << spec.shift1)
        h = torch.clamp(rnd(h) if quant else h, -amax, amax - 1)
        z = (torch.relu(h) @ a2.T + c2) / (1 << spec.shift2)
        return torch.clamp(rnd(z) if quant else z, -lmax, lmax - 1)

    def accuracy(quant: bool) -> float:
        with torch.no_grad():
            return float((logits(Xt, quant).argmax(1) == Yt).float().mean())

    log_tau = torch.zeros((), requires_grad=tau is None)   # loss temperature
    if tau is not None:
        log_tau.data.fill_(float(np.log(tau)))
    params = [w1, b1, w2, b2] + ([we, be] if spec.embed else []) + \
        ([log_tau] if tau is None else [])
    for phase, epochs, rate, quant in (("float", float_epochs, lr[0], False),
                                       ("qat", qat_epochs, lr[1], True)):
        opt = torch.optim.Adam(params, lr=rate)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=max(1, epochs * ((len(X) + batch - 1) // batch)))
        for ep in range(epochs):
            perm = torch.randperm(len(X), generator=gen)
            total = 0.0
            for i in range(0, len(X), batch):
                idx = perm[i:i + batch]
                loss = torch.nn.functional.cross_entropy(
                    logits(X[idx], quant) * log_tau.exp(), Y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                with torch.no_grad():   # keep weights in int4 once rounded
                    for w in (w1, w2) + ((we,) if spec.embed else ()):
                        w.clamp_(-8.49, 7.49)
                    b1.clamp_(-1024, 1023)
                    b2.clamp_(-1024, 1023)
                    if spec.embed:
                        be.clamp_(-1024, 1023)
                total += float(loss.detach()) * len(idx)
            log(f"{phase} epoch {ep + 1}/{epochs}: loss {total / len(X):.4f}, held-out "
                f"accuracy {accuracy(quant):.4f}")
        if phase == "float":
            acc_float = accuracy(False)
    acc_qat = accuracy(True)
    with torch.no_grad():
        qat_pred = logits(Xt, True).argmax(1).numpy()

    def ints(t) -> np.ndarray:   # exactly as rnd rounds (in float32, like the network)
        return torch.floor(t.detach() + 0.5).numpy().astype(np.int64)

    p = WindowLMParams(ints(w1), ints(b1), ints(w2), ints(b2),
                       ints(we) if spec.embed else None, ints(be) if spec.embed else None)
    graph = window_lm_graph(spec, p)
    ref = reference_predictions(graph, te)[:-1]
    if not np.array_equal(ref, qat_pred):
        bad = int(np.flatnonzero(ref != qat_pred)[0])
        raise AssertionError(f"held-out symbol {bad}: the integer model predicts "
                             f"{int(ref[bad])}, the rounded network {int(qat_pred[bad])}")
    return p, {"float": acc_float, "qat": acc_qat}


def main(argv: list[str] | None = None) -> int:
    """Command line (``--help``)."""
    ap = argparse.ArgumentParser(prog="python -m lutgrid.train_demo",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--float-epochs", type=int, default=4)
    ap.add_argument("--qat-epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--out", type=Path, default=DATA,
                    help="folder for demo_lm.json and demo_lm_meta.json (default: the "
                         "package's data folder)")
    args = ap.parse_args(argv)
    import torch

    start = time.perf_counter()
    p, acc = train(SPEC, args.seed, args.float_epochs, args.qat_epochs, args.batch)
    graph = window_lm_graph(SPEC, p)
    args.out.mkdir(parents=True, exist_ok=True)
    save_model(graph, args.out / MODEL)
    meta = {"spec": SPEC.__dict__, "seed": args.seed, "float_epochs": args.float_epochs,
            "qat_epochs": args.qat_epochs, "batch": args.batch,
            "torch": torch.__version__, "accuracy_float": round(acc["float"], 4),
            "accuracy_qat": round(acc["qat"], 4),
            "train_seconds": round(time.perf_counter() - start, 1)}
    atomic_write_bytes(args.out / META, (json.dumps(meta, indent=1) + "\n").encode())
    print(f"wrote {args.out / MODEL} and {META}: float {acc['float']:.4f}, integer "
          f"{acc['qat']:.4f} next-symbol accuracy on the held-out part")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
