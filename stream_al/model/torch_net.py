"""Small MLPs for online classification: one network, or an ensemble evaluated in one pass.

The `members` networks share nothing but the batched tensors that hold them,
so an ensemble costs one matrix product per layer, not one per member. The
dropout mask is drawn from an explicit `torch.Generator`, which keeps training
and the Monte Carlo samples reproducible without touching torch's global seed.
The output layer grows when a new class appears: the old rows are kept and the
new class starts with zero weights and the smallest existing bias, so the
relative odds of the old classes do not move.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["MemberMLP", "grow_adam_state"]


class MemberMLP(nn.Module):
    """`members` one-hidden-layer ReLU networks with dropout, as batched tensors.

    Parameters
    ----------
    n_inputs
        Length of the input vectors.
    hidden
        Width of the hidden layer.
    n_classes
        Outputs (may be 0 until the first class is known).
    members
        Independent networks.
    dropout
        Dropout probability on the hidden layer.
    generator
        Source of the initial weights.

    Examples
    --------
    >>> net = MemberMLP(4, hidden=8, n_classes=2, members=3, dropout=0.1,
    ...                 generator=torch.Generator().manual_seed(0))
    >>> net(torch.zeros(5, 4)).shape
    torch.Size([3, 5, 2])
    """

    def __init__(
        self,
        n_inputs: int,
        hidden: int,
        n_classes: int,
        members: int,
        dropout: float,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.dropout = dropout
        self.w1 = nn.Parameter(_uniform((members, n_inputs, hidden), n_inputs, generator))
        self.b1 = nn.Parameter(_uniform((members, hidden), n_inputs, generator))
        self.w2 = nn.Parameter(_uniform((members, hidden, n_classes), hidden, generator))
        self.b2 = nn.Parameter(_uniform((members, n_classes), hidden, generator))

    @property
    def n_classes(self) -> int:
        """Current number of outputs."""
        return int(self.b2.shape[1])

    def forward(self, x: torch.Tensor, dropout: torch.Generator | None = None) -> torch.Tensor:
        """Logits ``(members, n, n_classes)`` of inputs ``(n, n_inputs)``.

        Dropout is applied only when a generator is given (training steps);
        otherwise the network is deterministic.
        """
        h = self._hidden(x)
        if dropout is not None:
            h = self._drop(h, dropout)
        return torch.baddbmm(self.b2[:, None, :], h, self.w2)

    def sample(self, x: torch.Tensor, m: int, dropout: torch.Generator) -> torch.Tensor:
        """Logits ``(m, n, n_classes)`` of the first network under `m` dropout masks.

        Dropout acts after the hidden layer, so the layer is computed once and
        only the masks and the output layer are repeated.
        """
        h = self._drop(self._hidden(x)[0].expand(m, -1, -1), dropout)
        return torch.matmul(h, self.w2[0]) + self.b2[0]

    def _hidden(self, x: torch.Tensor) -> torch.Tensor:
        members = self.w1.shape[0]
        return torch.relu(torch.baddbmm(self.b1[:, None, :], x.expand(members, -1, -1), self.w1))

    def _drop(self, h: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Inverted dropout with a mask from `generator`."""
        if self.dropout <= 0.0:
            return h
        keep = torch.rand(h.shape, generator=generator) >= self.dropout
        return h * keep / (1.0 - self.dropout)

    def grow(self, n_classes: int) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """Add outputs up to `n_classes`; returns the replaced and the new output parameters."""
        old_w, old_b = self.w2, self.b2
        extra = n_classes - self.n_classes
        members, hidden = old_w.shape[0], old_w.shape[1]
        with torch.no_grad():
            start = old_b.min() if old_b.numel() else torch.tensor(0.0)
            w = torch.cat([old_w, old_w.new_zeros(members, hidden, extra)], dim=2)
            b = torch.cat([old_b, start.expand(members, extra)], dim=1)
        self.w2, self.b2 = nn.Parameter(w), nn.Parameter(b)
        return [old_w, old_b], [self.w2, self.b2]


def grow_adam_state(
    optimizer: torch.optim.Optimizer, old: list[nn.Parameter], new: list[nn.Parameter]
) -> None:
    """Point `optimizer` at the `new` parameters, padding its moments with zeros."""
    for before, after in zip(old, new, strict=True):
        state = optimizer.state.pop(before, None)
        if state:
            for key in ("exp_avg", "exp_avg_sq"):
                moment = state[key]
                pad = list(moment.shape)
                pad[-1] = after.shape[-1] - moment.shape[-1]
                state[key] = torch.cat([moment, moment.new_zeros(pad)], dim=-1)
            optimizer.state[after] = state
        for group in optimizer.param_groups:
            group["params"] = [after if p is before else p for p in group["params"]]


def _uniform(shape: tuple[int, ...], fan_in: int, generator: torch.Generator) -> torch.Tensor:
    """``U(-1/√fan_in, 1/√fan_in)``, the default initialisation of `torch.nn.Linear`."""
    bound = 1.0 / math.sqrt(max(fan_in, 1))
    return torch.empty(shape).uniform_(-bound, bound, generator=generator)
