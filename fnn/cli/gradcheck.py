"""``fnn gradcheck``: the hand-derived gradients of ``reference`` against autodiff and finite differences."""

from __future__ import annotations

import argparse


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``fnn gradcheck`` to the ``fnn`` parser's sub-commands."""
    p = sub.add_parser("gradcheck", help="hand-derived gradients vs autodiff and finite differences")
    p.add_argument("--seed", type=int, default=0)
    return p


def main(args) -> int:
    """Run ``fnn gradcheck``: print the table; exit status 1 if any row is out of tolerance."""
    import jax

    jax.config.update("jax_enable_x64", True)
    from reference import audit

    rows = audit.audit(jax.random.key(args.seed))
    print(audit.format_table(rows))
    failed = [r.name for r in rows if not r.ok]
    print(f"{len(rows) - len(failed)} of {len(rows)} hand-derived gradients agree"
          + (f"; out of tolerance: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
