"""One module per `suture` sub-command; each exposes `register(subparsers)`.

A command module's `register` adds its parser and sets `handler=<callable(args) -> int>`.
"""
