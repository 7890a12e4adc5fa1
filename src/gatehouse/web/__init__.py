"""The HTTP layer: the only importer of Starlette. Thin adapters around the protocol core."""
