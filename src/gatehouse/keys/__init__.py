"""Signing keys: generation, encryption at rest, rotation and the JOSE wrapper."""
