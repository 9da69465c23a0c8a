#!/usr/bin/env bash
# The device check: one prepared script for a machine with an accelerator (it runs on a CPU too).
#
#   scripts/device_check.sh [OUT]            # OUT defaults to device_check/
#   SIZE=tiny scripts/device_check.sh OUT    # a smoke run of every step, in a minute or two
#
# It writes into OUT: devices.txt (what JAX sees, the versions), gradcheck.txt (fnn gradcheck:
# every hand-derived gradient against autodiff and finite differences, in float64 on the
# device), one deterministic training run per model family with its curves and pictures
# (train-*/), and the benchmarks as JSON beside what they print (bench-*.json, bench-*.txt):
# the training step and epoch, the CNN, the RNN, and vmapped search trials (64 and 1024
# against one trial). Each step's output is kept even when a later one fails; the script
# stops at the first failure with its exit status.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-device_check}
SIZE=${SIZE:-full}
mkdir -p "$OUT"

if [ "$SIZE" = tiny ]; then
    EPOCHS=1; SEARCH=(--trials 4 --epochs 1 --repeats 1); STEP=(--steps-per-epoch 2 --step-calls 1 --epoch-calls 1 --repeats 1)
    RNN=(--steps-per-epoch 2 --step-calls 1 --epoch-calls 1 --repeats 1); MANY=8; LM=(--hidden 16)
else
    EPOCHS=10; SEARCH=(--repeats 7); STEP=(--repeats 7); RNN=(--repeats 7); MANY=1024; LM=()
fi

python - <<'EOF' | tee "$OUT/devices.txt"
import platform, jax, jaxlib, fnn
print(f"devices: {jax.devices()}")
print(f"fnn {fnn.__version__}, jax {jax.__version__}, jaxlib {jaxlib.__version__}, Python {platform.python_version()}")
EOF

if [ "$SIZE" = tiny ]; then
    echo "gradcheck: left out of the tiny run (it takes minutes on a CPU)" > "$OUT/gradcheck.txt"
else
    fnn gradcheck | tee "$OUT/gradcheck.txt"
fi

for model in mlp cnn conv-autoencoder gru; do
    fnn train --model "$model" --epochs "$EPOCHS" --deterministic --out "$OUT/train-$model" --overwrite --no-progress \
        | tee "$OUT/train-$model.txt"
done
fnn train --dataset pysource --model rnn-lm "${LM[@]}" --epochs 1 --deterministic --out "$OUT/train-rnn-lm" --overwrite \
    --no-progress | tee "$OUT/train-rnn-lm.txt"

python scripts/bench_train_step.py "${STEP[@]}" --json "$OUT/bench-train-step.json" | tee "$OUT/bench-train-step.txt"
python scripts/bench_cnn.py "${RNN[@]}" --json "$OUT/bench-cnn.json" | tee "$OUT/bench-cnn.txt"
python scripts/bench_rnn.py "${RNN[@]}" --json "$OUT/bench-rnn.json" | tee "$OUT/bench-rnn.txt"
python scripts/bench_search.py "${SEARCH[@]}" --json "$OUT/bench-search-64.json" | tee "$OUT/bench-search-64.txt"
python scripts/bench_search.py "${SEARCH[@]}" --trials "$MANY" --json "$OUT/bench-search-$MANY.json" \
    | tee "$OUT/bench-search-$MANY.txt"
echo "device check written to $OUT"
