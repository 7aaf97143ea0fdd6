"""What every area shares: the names of codes, and other small common parts."""
