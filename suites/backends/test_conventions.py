"""Each backend's declared conventions are what it does: on the cases that tell the
choices apart (kinks, ties, padding, ...) the declared choice, and only it, matches
the backend's behaviour. A failure names, for each choice ruled out, the op, case,
direction and the element (index, got, expected) that ruled it out."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbench.backends.numpy_backend import NumpyBackend
from cnnbench.backends.registry import LoadedBackend
from cnnbench.observe import observe
from cnnbench.reference import activations
from cnnbench.reference.catalog import CATALOG
from cnnbench.reference.conventions import CONVENTIONS
from cnnbench.runner import Run, run_conformance


@pytest.mark.parametrize("convention", sorted(CONVENTIONS))
def test_declared_convention_is_observed(loaded_backend, convention):
    seen = observe(loaded_backend.backend, convention)
    if not seen.checked:
        pytest.skip(f"{loaded_backend.name} implements no op with the {convention} convention")
    assert seen.confirmed, seen.explain(loaded_backend.name)


class LeftLeakyDeclaredRight(NumpyBackend):
    """Leaky ReLU'(0) = the negative slope (left) while declaring the right side."""

    name = "liar"
    conventions = {"leaky_relu_grad_at_kink": "right"}  # noqa: RUF012 (read-only declaration)

    def leaky_relu_backward(self, dy, x, *, negative_slope=0.01):
        return activations.leaky_relu_backward(dy, x, negative_slope=negative_slope)  # textbook: left


def test_a_false_declaration_is_explained_by_its_evidence():
    """Negative control: the message names the op, case, direction and the values."""
    seen = observe(LeftLeakyDeclaredRight(), "leaky_relu_grad_at_kink")
    assert not seen.confirmed and seen.matching == ("left",)
    why = seen.ruled_out["right"]
    assert (why.op, why.case, why.direction, why.output) == ("leaky_relu", "zeros_at_kink", "backward", "grad x")
    assert why.got == pytest.approx(why.expected * 0.25)  # the slope 0.25 instead of 1, times dy
    message = seen.explain("liar")
    assert "liar declares leaky_relu_grad_at_kink='right' but behaves as left" in message
    assert f"right ruled out by leaky_relu[zeros_at_kink] backward float64: grad x at index {why.index}" in message
    assert np.isfinite(why.got) and f"got {why.got!r}, expected {why.expected!r}" in message


def test_a_run_observes_only_its_ops_conventions_and_counts_a_false_declaration():
    """``cnnbench run --op leaky_relu`` looks only at leaky_relu's convention, and its
    ``convention_failures`` (what --strict fails on) carry the evidence."""
    spec = "suites.backends.test_conventions:LeftLeakyDeclaredRight"
    liar = LoadedBackend("liar", spec, spec, LeftLeakyDeclaredRight())
    run = run_conformance([liar], [CATALOG["leaky_relu"]], ["float64"])
    seen = run.backends[0]["conventions"]
    assert set(seen) == set(CONVENTIONS)  # every row of the report's table is there
    assert [name for name, entry in seen.items() if entry["checked"]] == ["leaky_relu_grad_at_kink"]
    (failure,) = run.convention_failures()
    assert failure.startswith("liar declares leaky_relu_grad_at_kink='right' but behaves as left\n")
    assert "right ruled out by leaky_relu[zeros_at_kink] backward float64: grad x at index (" in failure
    assert Run.from_json(run.to_json()).convention_failures() == [failure]
