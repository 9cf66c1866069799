"""ipmsg-tui: a full-screen terminal IP Messenger (IPMSG, 飞鸽传书) for the LAN."""

__version__ = "0.1.0"
