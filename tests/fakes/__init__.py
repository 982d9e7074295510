"""Loopback fakes of what lives in Microsoft's cloud, speaking the real protocols."""
