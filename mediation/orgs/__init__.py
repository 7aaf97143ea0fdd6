"""The org tree, committees and users."""
