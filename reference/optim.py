r"""The lecture's update equations, one step at a time, in plain jnp: the oracle of fnn.optim.

Each ``<name>(x, g, s, **hyper) -> (x, s)`` takes parameters x, their gradient g and a dict
s of what the method remembers (empty at the start), and returns the new x and s.
Written for readability, not speed: one array, no pytrees, no jit.
"""

from __future__ import annotations

import jax.numpy as jnp


def sgd(x, g, s, *, lr):
    """x = x - alpha g."""
    return x - lr * g, s


def momentum_gradient(x, g, s, *, lr, rho):
    """v = rho v + g;  x = x - alpha v."""
    v = rho * s.get("v", 0.0) + g
    return x - lr * v, {"v": v}


def momentum_step(x, g, s, *, lr, rho):
    """m = rho m - eta g;  x = x + m  (the lecture writes alpha for rho, eta for the rate)."""
    m = rho * s.get("m", 0.0) - lr * g
    return x + m, {"m": m}


def nesterov_lookahead(x, grad_f, s, *, lr, rho):
    """v = rho v - alpha grad f(x + rho v);  x = x + v  (needs the gradient function)."""
    v = s.get("v", jnp.zeros_like(x))
    v = rho * v - lr * grad_f(x + rho * v)
    return x + v, {"v": v}


def adagrad(x, g, s, *, lr, eps, r0=0.0, eps_in_sqrt=False):
    """r = r + g^2;  x = x - alpha g / (delta + sqrt(r))  (or / sqrt(r + delta))."""
    r = s.get("r", r0) + g * g
    denominator = jnp.sqrt(r + eps) if eps_in_sqrt else eps + jnp.sqrt(r)
    return x - lr * g / denominator, {"r": r}


def rmsprop(x, g, s, *, lr, rho, eps, r0=0.0, eps_in_sqrt=True):
    """r = rho r + (1 - rho) g^2;  x = x - alpha g / sqrt(delta + r)  (or / (delta + sqrt(r)))."""
    r = rho * s.get("r", r0) + (1 - rho) * g * g
    denominator = jnp.sqrt(eps + r) if eps_in_sqrt else eps + jnp.sqrt(r)
    return x - lr * g / denominator, {"r": r}


def adadelta(x, g, s, *, rho, eps, lr=1.0):
    """Zeiler's Algorithm 1: E[g^2], dx = -RMS[dx]_{t-1} / RMS[g]_t g, E[dx^2]; x = x + dx."""
    Eg2 = rho * s.get("Eg2", 0.0) + (1 - rho) * g * g
    dx = -jnp.sqrt(s.get("Edx2", 0.0) + eps) / jnp.sqrt(Eg2 + eps) * g
    Edx2 = rho * s.get("Edx2", 0.0) + (1 - rho) * dx * dx
    return x + lr * dx, {"Eg2": Eg2, "Edx2": Edx2}


def adam(x, g, s, *, lr, b1, b2, eps, bias_correction=True):
    """Kingma and Ba's Algorithm 1 (or the slides' form without bias correction)."""
    t = s.get("t", 0) + 1
    m = b1 * s.get("m", 0.0) + (1 - b1) * g
    v = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if bias_correction else (m, v)
    return x - lr * m_hat / (jnp.sqrt(v_hat) + eps), {"t": t, "m": m, "v": v}


def adam_efficient(x, g, s, *, lr, b1, b2, eps_hat):
    """The paper's efficient form: alpha_t = alpha sqrt(1 - b2^t) / (1 - b1^t), x -= alpha_t m / (sqrt(v) + epshat)."""
    t = s.get("t", 0) + 1
    m = b1 * s.get("m", 0.0) + (1 - b1) * g
    v = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    lr_t = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
    return x - lr_t * m / (jnp.sqrt(v) + eps_hat), {"t": t, "m": m, "v": v}


def adamax(x, g, s, *, lr, b1, b2, eps=0.0):
    """Kingma and Ba's Algorithm 2: u = max(b2 u, |g|), x = x - alpha / (1 - b1^t) m / u."""
    t = s.get("t", 0) + 1
    m = b1 * s.get("m", 0.0) + (1 - b1) * g
    u = jnp.maximum(b2 * s.get("u", 0.0), jnp.abs(g) + eps)
    return x - lr / (1 - b1**t) * m / u, {"t": t, "m": m, "u": u}


def irprop_minus(x, g, s, *, delta0, eta_minus, eta_plus, delta_min, delta_max):
    """iRprop-, element by element as in Igel and Huesken (2000), Figure 2."""
    delta = s.get("delta", jnp.full_like(x, delta0))
    g_prev = s.get("g_prev", jnp.zeros_like(x))
    x_new, delta_new, g_new = [], [], []
    for xi, gi, di, pi in zip(x.ravel(), g.ravel(), delta.ravel(), g_prev.ravel()):
        if gi * pi > 0:
            di = min(di * eta_plus, delta_max)
        elif gi * pi < 0:
            di = max(di * eta_minus, delta_min)
            gi = 0.0 * gi
        x_new.append(xi - jnp.sign(gi) * di)
        delta_new.append(di)
        g_new.append(gi)
    shape = x.shape
    return jnp.stack(x_new).reshape(shape), {
        "delta": jnp.stack(delta_new).reshape(shape),
        "g_prev": jnp.stack(g_new).reshape(shape),
    }


def clip_by_global_norm(grads: list, *, max_norm):
    """if ||g|| > v: g = v g / ||g||, with ||g|| over every array of ``grads``."""
    norm = jnp.sqrt(sum(jnp.sum(g * g) for g in grads))
    if norm > max_norm:
        return [max_norm * g / norm for g in grads], norm
    return grads, norm
