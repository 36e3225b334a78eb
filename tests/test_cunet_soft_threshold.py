"""CU-Net's soft threshold: the one- and two-pass forms give the upstream sign(x)·relu(|x| − θ) values (all
bits but the sign of zeros) and, where θ is learned, the same gradients; the in-place residual update gives
the upstream expression's values."""

from __future__ import annotations

import torch

from fusion_bench.models.ports.cunet import _residual_update, soft_threshold


def _upstream(x: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    return torch.sign(x) * torch.relu(x.abs() - threshold)


def _inputs() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(7)
    threshold = torch.full((1,), 0.01)
    x = torch.randn(2, 64, 9, 11, generator=generator) * 0.02
    # values on, just inside and just outside the threshold, and zeros of both signs
    edge = threshold.item()
    x[0, 0, 0, :8] = torch.tensor([edge, -edge, edge * (1 - 2**-20), -edge * (1 + 2**-20), 0.0, -0.0, 1e-30, -1e-30])
    return x, threshold


def test_inference_form_equals_upstream_values() -> None:
    x, threshold = _inputs()
    with torch.no_grad():
        ours, upstream = soft_threshold(x, threshold), _upstream(x, threshold)
    assert torch.equal(ours, upstream)
    assert (ours != 0).sum() > 0 and (ours == 0).sum() > 0


def test_differentiable_form_equals_upstream_values_and_gradients() -> None:
    x, threshold = _inputs()
    grads = []
    for form in (soft_threshold, _upstream):
        xs, ts = x.clone().requires_grad_(True), threshold.clone().requires_grad_(True)
        out = form(xs, ts)
        (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
        grads.append((out.detach(), xs.grad, ts.grad))
    (ours, gx, gt), (upstream, ux, ut) = grads
    assert torch.equal(ours, upstream)
    assert torch.equal(gt, ut)
    # d/dx: 1 outside [−θ, θ], 0 inside; the upstream form's sign(x) also gives 0 at x = 0
    assert torch.equal(gx, ux)


def test_residual_update_in_place_equals_upstream_expression() -> None:
    generator = torch.Generator().manual_seed(11)
    encoded, code, reconstructed = (torch.randn(1, 64, 7, 9, generator=generator) for _ in range(3))
    upstream = encoded + (code - reconstructed)
    with torch.no_grad():
        ours = _residual_update(encoded, code, reconstructed.clone())
    assert torch.equal(ours, upstream)
    assert torch.equal(_residual_update(encoded, code, reconstructed), upstream)  # autograd path


def test_overwriting_form_equals_upstream_values_in_place() -> None:
    x, threshold = _inputs()
    expected = _upstream(x, threshold)
    with torch.no_grad():
        ours = soft_threshold(x, threshold, overwrite=True)
    assert ours.data_ptr() == x.data_ptr()
    assert torch.equal(ours, expected)


def test_overwrite_is_ignored_when_a_gradient_is_wanted() -> None:
    x, threshold = _inputs()
    x.requires_grad_(True)
    ours = soft_threshold(x, threshold.requires_grad_(True), overwrite=True)
    assert ours.data_ptr() != x.data_ptr()
    ours.sum().backward()
    assert x.grad is not None and threshold.grad is not None
