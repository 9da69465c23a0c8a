"""Four costs of XLA:CPU behind the speed goals of the search, the MLPs and the CNN, timed alone.

    python scripts/bench_xla_cpu.py                 # 64 products of 64x128 by 128x128; Adam on 1024x1024;
                                                    # a 3x3x32x64 kernel's gradient on 64 maps of 8x8;
                                                    # permutations of 1280 and 60000
    python scripts/bench_xla_cpu.py --trials 8 --size 256 --repeats 3

Batched products: ``jax.vmap`` over T trials turns a layer's product into T independent
(B x D) by (D x D) products. They are timed against one (T B x D) by (D x D) product, the same
FLOPs, each ``steps`` times in a ``fori_loop`` (GFLOP/s = 2 T B D^2 per product).

Adam's loops: the script reads the compiled HLO of ``fnn.optim.adam``'s step on one ``size``
x ``size`` float32 matrix and counts the loops (fusions) that write a matrix of that shape and
the matrices each one reads. With jaxlib 0.10 there are three: the first moment (reads m and
g, writes m), the second (reads v and g, writes v) and the parameters (reads p and the new m
and v, writes p), 10 passes over the matrix where one loop would make 7 (read p, m, v, g;
write p, m, v). It times the step and the moments alone, and reports the bandwidth of those
passes; 7 passes at that bandwidth is the floor of a one-loop update.

A convolution's weight gradient in a loop: autodiff's dW of ``lax.conv_general_dilated`` (the
plain-JAX CNN's) against fnn's own rule (``fnn.layers.conv.conv``, channels as the batch), each
taking ``steps`` gradient steps of the squared error to a fixed target on a 3 x 3 x ``channels``
x 2 ``channels`` kernel for ``batch_size`` maps of 8 x 8 in a ``fori_loop``, as a fused epoch does.

An epoch's permutation: ``jax.random.permutation`` (a stable sort of key-value pairs) against
``fnn.data.batching.permutation`` (the same draw by one sort of 64-bit words), each jitted, at
every size of ``permutation_sizes``; the script checks that both draw the same permutation.
"""

from __future__ import annotations

import dataclasses
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax

from fnn import optim
from fnn.data import batching
from fnn.layers import conv
from fnn.bench import timing
from fnn.cli import script

ONE_LOOP_PASSES = 7
"""Passes over a weight matrix of an Adam update in one loop: read p, m, v and g, write p, m and v."""


@dataclasses.dataclass(frozen=True)
class Config:
    trials: int = 64
    batch_size: int = 64
    width: int = 128
    size: int = 1024
    channels: int = 32
    steps: int = 20
    repeats: int = 5
    permutation_sizes: tuple[int, ...] = (1280, 60000)


def _looped(fn, steps: int):
    """``fn(x, w) -> x`` applied ``steps`` times in one jitted ``fori_loop``."""
    return jax.jit(lambda x, w: jax.lax.fori_loop(0, steps, lambda _, c: fn(c, w), x))


def batched_products(config: Config) -> dict:
    """Seconds per product and GFLOP/s: T batched products against one product of the same FLOPs."""
    rng = np.random.default_rng(0)
    T, B, D = config.trials, config.batch_size, config.width
    A = jnp.asarray(rng.standard_normal((T, B, D)) / D, jnp.float32)
    W = jnp.asarray(rng.standard_normal((T, D, D)) / D, jnp.float32)
    candidates = {f"{T} batched products": (_looped(lambda a, w: jnp.einsum("tbd,tde->tbe", a, w), config.steps),
                                            (A, W)),
                  "one product, same FLOPs": (_looped(lambda a, w: a @ w, config.steps), (A.reshape(T * B, D), W[0]))}
    seconds = timing.interleaved(candidates, number=1, repeats=config.repeats)
    flops = 2 * T * B * D * D
    return {name: {"ms": 1e3 * s / config.steps, "gflops": flops * config.steps / s / 1e9}
            for name, s in seconds.items()}


def _adam_step(adam):
    def step(params, state, grad):
        updates, state = adam.update(grad, state, params)
        return optax.apply_updates(params, updates), state

    return step


def matrix_loops(size: int) -> list[int]:
    """For each loop of Adam's compiled step that writes a ``size`` x ``size`` matrix, how many such
    matrices it reads (the HLO's fusions, their operands looked up by name)."""
    adam, matrix = optim.adam(1e-3), f"f32[{size},{size}]"
    p = jnp.zeros((size, size), jnp.float32)
    text = jax.jit(_adam_step(adam)).lower(p, adam.init(p), p).compile().as_text()
    shapes = dict(re.findall(r"^\s*(?:ROOT )?(%\S+) = (\w+\[[\d,]*\])", text, re.MULTILINE))
    loops = re.findall(r"^\s*(?:ROOT )?%\S+ = " + re.escape(matrix) + r"\S* fusion\(([^)]*)\)", text, re.MULTILINE)
    return [sum(shapes.get(name.strip()) == matrix for name in operands.split(",")) for operands in loops]


def adam_loops(config: Config) -> dict:
    """Milliseconds per step of Adam on one matrix and of its moments alone, its loops and their
    passes over the matrix (reads and writes), their bandwidth and ``ONE_LOOP_PASSES`` at that bandwidth."""
    rng = np.random.default_rng(1)
    p, g = (jnp.asarray(rng.standard_normal((config.size, config.size)), jnp.float32) for _ in range(2))
    adam = optim.adam(1e-3)
    step = _adam_step(adam)

    def adam_step(carry, grad):
        return step(*carry, grad)

    def moments(carry, grad):
        m, v = carry
        return 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * grad * grad

    candidates = {"Adam step": (_looped(adam_step, config.steps), ((p, adam.init(p)), g)),
                  "moments alone": (_looped(moments, config.steps), ((p, p), g))}
    seconds = {name: s / config.steps for name, s in
               timing.interleaved(candidates, number=1, repeats=config.repeats).items()}
    nbytes = p.size * p.dtype.itemsize
    loops = matrix_loops(config.size)
    passes = sum(reads + 1 for reads in loops)
    bandwidth = passes * nbytes / seconds["Adam step"]
    return {"ms": {name: 1e3 * s for name, s in seconds.items()}, "loops": loops, "passes": passes,
            "gb_per_s": bandwidth / 1e9,
            "one_loop_floor_ms": 1e3 * ONE_LOOP_PASSES * nbytes / bandwidth}


def conv_weight_gradients(config: Config) -> dict:
    """Milliseconds per gradient step of a "same" 3x3 convolution's kernel in a loop (forward, dW and the
    update, for the squared error to a fixed target): with autodiff's dW and with fnn's."""
    rng = np.random.default_rng(2)
    C = config.channels
    X = jnp.asarray(rng.standard_normal((config.batch_size, 8, 8, C)), jnp.float32)
    target = jnp.asarray(rng.standard_normal((config.batch_size, 8, 8, 2 * C)), jnp.float32)
    W = jnp.asarray(rng.standard_normal((3, 3, C, 2 * C)) / (3 * C), jnp.float32)
    same = dict(stride=(1, 1), padding=((1, 1), (1, 1)), dilation=(1, 1))

    def plain(w):
        return jax.lax.conv_general_dilated(X, w, (1, 1), same["padding"], dimension_numbers=("NHWC", "HWIO", "NHWC"))

    def fnns(w):
        return conv.conv(X, w, 0.0, **same)

    def descent(forward):  # dY = Y - target depends on w, so no step can be hoisted out of the loop
        return lambda w, _: w - 1e-6 * jax.grad(lambda v: 0.5 * jnp.sum(jnp.square(forward(v) - target)))(w)

    candidates = {"autodiff's dW": (_looped(descent(plain), config.steps), (W, None)),
                  "fnn's dW": (_looped(descent(fnns), config.steps), (W, None))}
    return {name: 1e3 * s / config.steps for name, s in
            timing.interleaved(candidates, number=1, repeats=config.repeats).items()}


def permutations(config: Config) -> dict:
    """Microseconds per jitted draw of a permutation of n, for each n: JAX's and fnn's, the same draw."""
    results = {}
    for n in config.permutation_sizes:
        args = (jax.random.key(n), n)
        candidates = {"jax.random.permutation": (jax.jit(jax.random.permutation, static_argnums=1), args),
                      "fnn's permutation": (jax.jit(batching.permutation, static_argnums=1), args)}
        draws = [np.asarray(fn(*args)) for fn, args in candidates.values()]
        if not np.array_equal(*draws):
            raise AssertionError(f"bench_xla_cpu: fnn's permutation of {n} differs from jax.random.permutation's")
        results[n] = {name: 1e6 * s for name, s in
                      timing.interleaved(candidates, number=10, repeats=config.repeats).items()}
    return results


def main(config: Config) -> dict:
    results = {"device": str(jax.devices()[0]), "products": batched_products(config), "adam": adam_loops(config),
               "conv_weight_gradient_ms": conv_weight_gradients(config), "permutation_us": permutations(config)}
    print(f"device {results['device']}; {config.steps} calls in a fori_loop, median of {config.repeats}")
    for name, row in results["products"].items():
        print(f"  {name:<26} {row['ms']:8.3f} ms {row['gflops']:8.1f} GFLOP/s")
    adam = results["adam"]
    for name, ms in adam["ms"].items():
        print(f"  {name + f' ({config.size}^2)':<26} {ms:8.3f} ms")
    print(f"  Adam's step: {len(adam['loops'])} loops over the matrix, reading {adam['loops']} matrices each, "
          f"{adam['passes']} passes")
    print(f"  its passes move {adam['gb_per_s']:.1f} GB/s; one loop of {ONE_LOOP_PASSES} passes at that bandwidth: "
          f"{adam['one_loop_floor_ms']:.3f} ms")
    for name, ms in results["conv_weight_gradient_ms"].items():
        print(f"  {name + f' (3x3x{config.channels}x{2 * config.channels})':<26} {ms:8.3f} ms")
    for n, row in results["permutation_us"].items():
        for name, us in row.items():
            print(f"  {name + f' ({n})':<34} {us:9.1f} us")
    return results


def parse(argv=None) -> tuple[Config, str | None]:
    return script.parse_config(Config, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    script.run_script(main, parse)
