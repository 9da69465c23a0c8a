"""The lecture experiments behind ``fnn experiment NAME``: one module per experiment, each a frozen
``Config`` with a small and a full size and ``run(config, out)``, which writes its pictures and
``results.json`` and returns its numbers; ``registry`` names them, ``cli`` is the sub-command."""
