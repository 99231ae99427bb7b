"""Array handling for backends that hold data in torch tensors (torch itself, Triton)."""

from __future__ import annotations

from typing import Any

import numpy as np


class TorchTensors:
    """asarray / to_numpy / synchronize on ``self.device``; half types come back as float32."""

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
        return (value.float() if value.dtype in (torch.float16, torch.bfloat16) else value).numpy()

    def synchronize(self) -> None:
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
