"""Each backend's declared conventions are what it does: at the kink and tie cases the
declared choice, and only it, matches the backend's behaviour."""

from __future__ import annotations

import pytest

from cnnbench.observe import observe
from reference.conventions import CONVENTIONS


@pytest.mark.parametrize("convention", sorted(CONVENTIONS))
def test_declared_convention_is_observed(loaded_backend, convention):
    seen = observe(loaded_backend.backend, convention)
    if not seen.checked:
        pytest.skip(f"{loaded_backend.name} implements no op with the {convention} convention")
    behaves = list(seen.matching) or "no choice"
    assert seen.confirmed, f"{loaded_backend.name} declares {convention}={seen.declared!r} but behaves as {behaves}"
