r"""Data parallelism: each minibatch split along its batch axis over a mesh of devices.

Math:
    J = (1/B) sum_n l_n = sum_d (B/D)/B J_d over D equal shards, so dJ/dtheta is the mean
    of the shards' gradients. Each device runs the forward and backward pass on its B/D
    rows, and XLA sums the partial gradients with an all-reduce. Parameters, optimizer
    state and the data set are replicated, so every device applies the same update.

The sharding goes through ``jax.sharding`` (GSPMD): the epoch's code is the single-device
code with one sharding constraint on the minibatch. Results equal one device's up to the
reassociation of the sums (2e-16 apart after three epochs of SGD in float64, tested). An
optimizer that normalises the gradient magnifies that rounding where a gradient is exactly
zero: the bias of a dense layer followed by batch norm gets gradients of about 1e-17, which
Adam divides by eps = 1e-8, so its runs on 1 and 4 devices are 3e-11 apart after one step. Batch-norm statistics are those of the whole minibatch, and
dropout masks do not depend on the number of devices. The same code runs on one CPU, on
several host devices (``XLA_FLAGS=--xla_force_host_platform_device_count=4``, how the
tests run it) or on GPUs. Under ``jax.distributed.initialize`` the devices of every
process make up the mesh: each process passes the same data and parameters, ``replicate``
places each copy on the process's own devices, and only one process should write
checkpoints (two processes of one CPU device each, over localhost, are tested).
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

from fnn.util import validate

AXIS = "batch"


def batch_mesh(devices: int) -> Mesh:
    """A one-axis mesh (``"batch"``) over the first ``devices`` of ``jax.devices()``."""
    devices = validate.integer("batch_mesh", "devices", devices)
    available = jax.devices()
    if devices > len(available):
        raise ValueError(f"batch_mesh: expected devices <= {len(available)} (the {available[0].platform} devices "
                         f"JAX sees), got {devices}; on a CPU, XLA_FLAGS=--xla_force_host_platform_device_count=N "
                         "before JAX starts makes N host devices")
    return jax.make_mesh((devices,), (AXIS,), axis_types=(AxisType.Auto,), devices=available[:devices])


def split_batch(mesh: Mesh) -> NamedSharding:
    """Axis 0 split over the mesh, the other axes whole."""
    return NamedSharding(mesh, PartitionSpec(AXIS))


def replicated(mesh: Mesh) -> NamedSharding:
    """A whole copy on every device of the mesh."""
    return NamedSharding(mesh, PartitionSpec())


def replicate(mesh: Mesh, tree):
    """Every array of ``tree`` copied to every device of the mesh.

    Under ``jax.distributed`` each process holds the same values and places its copy on its
    own devices (a process cannot write to another's), so call it in every process alike.
    """
    if jax.process_count() == 1:
        return jax.device_put(tree, replicated(mesh))
    return jax.tree.map(lambda x: _replicated_across_processes(x, replicated(mesh)), tree)


def _replicated_across_processes(x, sharding: NamedSharding):
    if hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        data = _replicated_across_processes(jax.random.key_data(x), sharding)
        return jax.random.wrap_key_data(data, impl=jax.random.key_impl(x))
    host = np.asarray(jax.device_get(x))  # arrays and Python numbers alike
    return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def check_batch_size(where: str, batch_size: int, mesh: Mesh) -> None:
    """A minibatch must split into equal shards."""
    if batch_size % mesh.size:
        raise ValueError(f"{where}: expected a batch_size divisible by the {mesh.size} devices, got {batch_size}; "
                         f"try {max(batch_size // mesh.size, 1) * mesh.size}")


def constrain_batch(mesh: Mesh | None, tree):
    """Inside jit: ask for ``tree``'s arrays split along axis 0 over ``mesh`` (unchanged without a mesh)."""
    return tree if mesh is None else jax.lax.with_sharding_constraint(tree, split_batch(mesh))
