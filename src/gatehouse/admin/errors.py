class AdminError(Exception):
    """A provisioning request that cannot be carried out; the message says why, in one line."""
