"""PyTorch eager, written as one would by hand: the default ``fnn train`` model (MLP
64-128-128-10, ReLU, He-normal weights, zero biases, cross-entropy, Adam 1e-3, batch 64) on the
scikit-learn digits (359 test and 359 validation rows held out as fnn does, standardised on the
rest), one epoch, then its validation accuracy. The cold-start peer of
``scripts/bench_cold_start.py``, which times it from launch to the line ``epoch 1``."""

import numpy as np
import torch
from sklearn.datasets import load_digits

SIZES, BATCH, TEST, VAL = (64, 128, 128, 10), 64, 359, 359

torch.manual_seed(0)
layers = []
for a, b in zip(SIZES, SIZES[1:]):
    linear = torch.nn.Linear(a, b)
    torch.nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
    torch.nn.init.zeros_(linear.bias)
    layers += [linear, torch.nn.ReLU()]
model = torch.nn.Sequential(*layers[:-1])
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

X, y = load_digits(return_X_y=True)
order = np.random.default_rng(0).permutation(len(X))
X, y = X[order].astype(np.float32), y[order]
train, val = slice(TEST + VAL, None), slice(TEST, TEST + VAL)
mean, std = X[train].mean(0), X[train].std(0)
X, y = torch.tensor((X - mean) / np.where(std > 0, std, 1)), torch.tensor(y)
X_train, y_train = X[train], y[train]
for idx in torch.randperm(len(X_train))[: len(X_train) // BATCH * BATCH].view(-1, BATCH):
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(X_train[idx]), y_train[idx]).backward()
    optimizer.step()
with torch.no_grad():
    accuracy = (model(X[val]).argmax(1) == y[val]).float().mean()
print(f"epoch 1 validation accuracy {float(accuracy):.4f}", flush=True)
