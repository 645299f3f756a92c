class LoginCodeLimitReached(Exception):
    """Codes were requested too often for this address or from this client."""
