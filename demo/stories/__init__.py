"""The demo disputes' stories and the showcase of every kind of history."""
