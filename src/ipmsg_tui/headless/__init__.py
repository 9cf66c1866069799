"""The commands for scripts: ``who``, ``send`` and ``listen``, on the same engine as the app.

Each command is a module of its own (``who``, ``send``, ``listen``), imported when it runs:
starting the app does not pay for them.
"""
