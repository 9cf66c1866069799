"""The full-screen Textual app: the only part of ipmsg-tui that imports textual."""
