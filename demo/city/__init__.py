"""The demo jurisdiction: places, accounts, names."""
