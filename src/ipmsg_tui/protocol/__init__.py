"""The sans-IO IPMSG core: codecs and state machines, no sockets, no asyncio, no clock."""
