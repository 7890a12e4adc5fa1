"""Runnable examples of using gatehouse from other programs."""
