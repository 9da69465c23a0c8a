"""Timing helpers for benchmarks: compiled calls timed to completion, and a matmul peak.

Report ratios of peers measured in the same run (interleaved, medians), not absolute
times: the machine is shared and noisy.
"""

from __future__ import annotations

import os
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np


def seconds_per_call(fn, *args, number: int, repeats: int) -> list[float]:
    """Run ``fn(*args)`` once to compile, then ``repeats`` times ``number`` calls; seconds per call each.

    ``fn`` may return its first argument's next value (a state), which is fed back in.
    """
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            out = fn(*args)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - start) / number)
    return times


def interleaved(candidates: dict, *, number: int, repeats: int, pause: float = 0.0) -> dict[str, float]:
    """Median seconds per call of each ``name -> (fn, args)``, alternating between them per repeat.

    ``pause``: seconds slept before each sample, so that it starts on idle cores. A library may
    leave its worker threads spinning after a call: OpenBLAS's, behind NumPy and scikit-learn, do
    for a while, and the trainer timed next then shares the cores with them.
    """
    for fn, args in candidates.values():
        jax.block_until_ready(fn(*args))
    samples = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, (fn, args) in candidates.items():
            time.sleep(pause)
            samples[name] += seconds_per_call(fn, *args, number=number, repeats=1)
    return {name: statistics.median(times) for name, times in samples.items()}


def in_rounds(rounds: int, measure):
    """Yield ``measure()`` (a dict) ``rounds`` times, each with the load average at its start as ``"load"``."""
    for _ in range(rounds):
        load = os.getloadavg()[0]
        yield {"load": load, **measure()}


def training_flops(sizes, samples: int) -> int:
    """FLOPs of forward plus backward through the dense layers: 6 x weights x samples.

    Forward Z = X W costs 2 N D_in D_out; backward dW = X^T dZ and dX = dZ W^T cost twice that.
    """
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return 6 * weights * samples


def matmul_gflops(n: int = 1024, *, dtype=jnp.float32, repeats: int = 5) -> float:
    """Measured GFLOP/s of an n x n by n x n matrix product (2 n^3 FLOPs), the machine's peak."""
    a = jax.random.normal(jax.random.key(0), (n, n), dtype)
    matmul = jax.jit(lambda x: x @ x)
    best = min(seconds_per_call(matmul, a, number=3, repeats=repeats))
    return 2 * n**3 / best / 1e9


def matmuls_epoch(sizes, batch_size: int, steps: int, *, dtype=jnp.float32):
    """The matrix products of a dense stack's training epoch, alone: ``(fn, args)`` for ``interleaved``.

    Per minibatch: forward Z_k = A_{k-1} W_k; backward dW_k = A_{k-1}^T dZ_k and
    dA_{k-1} = dZ_k W_k^T for k > 1 (the input needs no gradient), with dZ_L = Z_L, A_k = Z_k: no
    bias, nonlinearity, loss, gather or update. The minibatches are laid out in advance; the
    carry holds the last weight gradients so that nothing is dropped.
    """

    rng = np.random.default_rng(0)  # NumPy draws: no compilation per shape
    weights = [jnp.asarray(rng.standard_normal((a, b)) / a**0.5, dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    batches = jnp.asarray(rng.standard_normal((steps, batch_size, sizes[0])), dtype)

    def step(_, A):
        inputs = [A]
        for W in weights[:-1]:
            inputs.append(inputs[-1] @ W)
        dZ = inputs[-1] @ weights[-1]
        grads = []
        for k in reversed(range(len(weights))):
            grads.insert(0, inputs[k].T @ dZ)
            if k > 0:
                dZ = dZ @ weights[k].T
        return tuple(grads), None

    zeros = tuple(jnp.zeros_like(W) for W in weights)
    return jax.jit(lambda batches: jax.lax.scan(step, zeros, batches)[0]), (batches,)


def updates_epoch(optimizer, params, steps: int):
    """An epoch's optimizer updates alone, ``(fn, args)`` for ``interleaved``: ``steps`` updates of
    ``params`` by ``optimizer`` from a fixed gradient, in one ``lax.scan`` (no model, no data)."""
    grads = jax.tree.map(lambda p: jnp.full_like(p, 1e-3), params)

    def step(carry, _):
        params, state = carry
        updates, state = optimizer.update(grads, state, params)
        return (jax.tree.map(jnp.add, params, updates), state), None

    run = jax.jit(lambda params, state: jax.lax.scan(step, (params, state), None, length=steps)[0])
    return run, (params, optimizer.init(params))


def print_epochs(epoch_seconds: dict, *, baseline: str, flops: int, peak: float, no_flops=()) -> dict:
    """Print ms per epoch, time over ``baseline``'s, GFLOP/s (``flops`` per epoch) and % of ``peak``
    for each name -> seconds (GFLOP/s left out for the names in ``no_flops``); returns name ->
    {"ms", "over_baseline"[, "gflops", "of_peak"]}."""
    rows = {}
    print(f"  {'':<22} {'ms/epoch':>9} {'x ' + baseline:>12} {'GFLOP/s':>8} {'% peak':>7}")
    for name, seconds in epoch_seconds.items():
        rows[name] = {"ms": 1e3 * seconds, "over_baseline": seconds / epoch_seconds[baseline]}
        line = f"  {name:<22} {1e3 * seconds:>9.2f} {rows[name]['over_baseline']:>12.3f}"
        if name not in no_flops:
            rows[name] |= {"gflops": flops / seconds / 1e9, "of_peak": flops / seconds / 1e9 / peak}
            line += f" {rows[name]['gflops']:>8.1f} {100 * rows[name]['of_peak']:>6.1f}%"
        print(line)
    return rows


def scan_epoch(loss, optimizer, batch_size: int):
    """A plain-JAX peer epoch as one would write it by hand: a permutation, then ``lax.scan`` over
    minibatches of ``jax.value_and_grad(loss)`` and an optax ``optimizer``.

    Returns:
        jitted ``epoch(params, opt_state, X, y, key) -> (params, opt_state, losses)``.
    """
    import optax

    def step(carry, idx):
        params, opt_state, X, y = carry
        value, grads = jax.value_and_grad(loss)(params, X[idx], y[idx])
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state, X, y), value

    @jax.jit
    def epoch(params, opt_state, X, y, key):
        n = X.shape[0] // batch_size
        order = jax.random.permutation(key, X.shape[0])[: n * batch_size].reshape(n, batch_size)
        with jax.numpy_dtype_promotion("standard"):  # optax mixes Python floats with int32 counts
            (params, opt_state, _, _), losses = jax.lax.scan(step, (params, opt_state, X, y), order)
        return params, opt_state, losses

    return epoch


def against_peers(objective, optimizer, params, data, key, *, batch_size: int, gradients: dict, peers: dict,
                  step_calls: int, epoch_calls: int, repeats: int, title: str, rounds: int = 1,
                  pause: float = 0.0) -> dict:
    """fnn's jitted step and fused epoch under each gradient transform against peer epochs, interleaved,
    in ``rounds`` rounds of the same compiled programs.

    Args:
        objective, optimizer, params: what fnn trains; ``data`` = (X, y), one epoch of it.
        gradients: ``{"autodiff": ..., "hand-derived": ...}``, name -> value_and_grad.
        peers: name -> ``(epoch_fn, args)``, e.g. the hand-written ``lax.scan`` epoch
            (``scan_epoch``) and PyTorch's (``fnn.bench.torch_peers``, args ``()``).
        title: the first line printed.
        rounds: how many times every candidate is timed again (each round interleaved, its
            load average recorded), without compiling anything anew.
        pause: seconds slept before each sample (``interleaved``).
    Returns:
        ``rounds``: per round the load average at its start and the median seconds per step and
        per epoch of each; the first round's figures at the top level, with its ratios
        hand-derived / autodiff (step and epoch) and ``fnn_over``: fnn's (autodiff) epoch / each
        peer's. Each round's table is printed.
    """
    from fnn import train

    X, y = data
    state = train.init_state(params, optimizer)
    steps, epochs = {}, {}
    for name, value_and_grad in gradients.items():
        steps[name] = (train.make_train_step(objective, optimizer, value_and_grad=value_and_grad),
                       (state, (X[:batch_size], y[:batch_size])))
        epochs[name] = (train.make_train_epoch(objective, optimizer, batch_size=batch_size,
                                               value_and_grad=value_and_grad), (state, (X, y), key))
    epochs |= peers
    print(f"device {jax.devices()[0]}; {title}")
    timed = []
    for number, round_ in enumerate(in_rounds(rounds, lambda: {
            "step_seconds": interleaved(steps, number=step_calls, repeats=repeats, pause=pause),
            "epoch_seconds": interleaved(epochs, number=epoch_calls, repeats=repeats, pause=pause)}), 1):
        timed.append(round_)
        heading = f"round {number} of {rounds}, load {round_['load']:.2f}" if rounds > 1 else ""
        _print_round(round_, heading, list(peers))
    step_s, epoch_s = timed[0]["step_seconds"], timed[0]["epoch_seconds"]
    return {"device": str(jax.devices()[0]), "step_seconds": step_s, "epoch_seconds": epoch_s,
            "hand_over_auto_step": step_s["hand-derived"] / step_s["autodiff"],
            "hand_over_auto_epoch": epoch_s["hand-derived"] / epoch_s["autodiff"],
            "fnn_over": {name: epoch_s["autodiff"] / epoch_s[name] for name in peers}, "rounds": timed}


def _print_round(timed: dict, heading: str, peers: list) -> None:
    step_s, epoch_s = timed["step_seconds"], timed["epoch_seconds"]
    if heading:
        print(f"  {heading}")
    for name, seconds in epoch_s.items():
        per_step = f"  {1e3 * step_s[name]:7.3f} ms/step" if name in step_s else ""
        print(f"  {name:<18} {1e3 * seconds:9.2f} ms/epoch{per_step}")
    print(f"  hand-derived / autodiff step {step_s['hand-derived'] / step_s['autodiff']:.3f}, epoch "
          f"{epoch_s['hand-derived'] / epoch_s['autodiff']:.3f}; " +
          "; ".join(f"fnn / {name} epoch {epoch_s['autodiff'] / epoch_s[name]:.3f}" for name in peers))
