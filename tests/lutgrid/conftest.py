"""Fixtures shared by the command's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from compiler.model_file import save_model
from compiler.window_lm import WindowLMParams, WindowLMSpec, window_lm_graph


@pytest.fixture(scope="session")
def small_lm_file(tmp_path_factory) -> Path:
    """A 32-symbol window language model file (a window of 2, 2 hidden units, 4-bit
    logits; weights from seed 4): small enough to compile in seconds."""
    spec = WindowLMSpec(vocab=32, context=2, hidden=2, act_bits=4, logit_bits=4, shift1=1,
                        shift2=2)
    rng = np.random.default_rng(4)
    p = WindowLMParams(rng.integers(-8, 8, (2, spec.inputs)), rng.integers(-4, 4, 2),
                       rng.integers(-8, 8, (32, 2)), rng.integers(-8, 8, 32))
    path = tmp_path_factory.mktemp("lm") / "m.json"
    save_model(window_lm_graph(spec, p), path)
    return path
