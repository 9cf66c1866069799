"""asyncio adapters: sockets, timers and interfaces around the sans-IO core."""
