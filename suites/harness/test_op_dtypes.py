"""``op_dtypes``: an op declared in only some of a backend's dtypes is reported not
implemented in the others, and its method is never called there."""

from __future__ import annotations

import pytest

from cnnbench.backends.registry import load
from cnnbench.conformance import check
from cnnbench.reference.catalog import CATALOG
from suites.harness.plugin_fixtures import write_plugin


@pytest.fixture
def partial(tmp_path, monkeypatch):
    write_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return load("tinyplug:PartialBackend").backend


def test_dtypes_of_reads_the_declaration(partial):
    assert partial.dtypes_of("relu") == ("float64", "float32")  # undeclared: every dtype
    assert partial.dtypes_of("relu_backward") == ("float64",)
    assert partial.dtypes_of("flatten_backward") == ("float64",)  # a backward follows its forward


@pytest.mark.parametrize(
    "op,direction,name",
    [
        ("relu", "backward", "relu_backward"),
        ("flatten", "forward", "flatten"),
        ("flatten", "backward", "flatten_backward"),
    ],
)
def test_an_undeclared_dtype_is_not_implemented_without_a_call(partial, op, direction, name):
    case = CATALOG[op].cases()[0]
    result = check(partial, CATALOG[op], case, "float32", direction)
    assert result.status == "not implemented"
    assert result.detail == f"{name} is declared only in float64 (op_dtypes)"
    assert check(partial, CATALOG[op], case, "float64", direction).status == "pass"


def test_without_the_declaration_the_method_is_called_and_raises(partial):
    """Negative control: the methods do raise in float32, so the verdict above came from the declaration."""
    undeclared = load("tinyplug:UndeclaredBackend").backend
    relu = CATALOG["relu"]
    result = check(undeclared, relu, relu.cases()[0], "float32", "backward")
    assert result.status == "error" and "called in float32, which this backend does not declare" in result.detail
    assert check(partial, relu, relu.cases()[0], "float32", "forward").status == "pass"
