"""What the command prints of a run's test scores (``fnn train`` and ``fnn evaluate``)."""

from __future__ import annotations


def print_test(test: dict, test_report: dict | None, note: str = "") -> None:
    """The classification report, if any, then one line of test metrics, the main one first."""
    from fnn import report

    if test_report is not None:
        print(report.format_report(test_report))
    main_metric = next(name for name in ("perplexity", "accuracy", "rmse", "mae") if name in test)
    extras = "".join(f"  {k.replace('_', ' ')} {v:.4f}" for k, v in test.items() if k not in ("loss", main_metric))
    print(f"test loss {test['loss']:.4f}  test {main_metric} {test[main_metric]:.4f}{extras}{note}")
