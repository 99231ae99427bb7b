"""Array handling for backends that hold data in torch tensors (torch itself, Triton)."""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np


class TorchTensors:
    """asarray / to_numpy / synchronize / set_threads on ``self.device``; bfloat16 comes back as
    ``ml_dtypes.bfloat16``."""

    device: str

    def asarray(self, array: np.ndarray, dtype: str | None = None) -> Any:
        import torch

        t = torch.from_numpy(np.asarray(array, order="C"))  # keeps 0-d arrays 0-d
        return t.to(device=self.device, dtype=getattr(torch, dtype) if dtype else None)

    def to_numpy(self, value: Any) -> np.ndarray:
        import torch

        if not isinstance(value, torch.Tensor):
            return np.asarray(value)
        value = value.detach().cpu()
        if value.dtype == torch.bfloat16:  # NumPy has no bfloat16: reinterpret the bits
            return value.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        return value.numpy()

    def set_threads(self, count: int) -> dict[str, int]:
        import torch

        torch.set_num_threads(count)
        return {"torch intra-op": torch.get_num_threads()}

    def synchronize(self) -> None:
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
