"""Exchange between two real vanban installations on loopback (see instances.py)."""
