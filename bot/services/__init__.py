"""Use cases: each a class taking its ports in its constructor."""
