"""The UI's logic without Textual: who is listed, the window on a long history, drafts,
what the chat says about files and transfers, coalesced alerts, how times, sizes and paths
read. Widgets show it; it never imports Textual (an import-linter contract says so), so it
is tested on its own (tests/ui/model)."""
