"""A local stand-in for Mollie's v2 REST API, for development and tests (standard library only).

    from mollie_sandbox import start_in_thread
    sandbox = start_in_thread()          # sandbox.base_url == "http://127.0.0.1:<port>"
    ...
    sandbox.stop()

See README.md for endpoints, rules and the known differences from Mollie.
"""

from .errors import ApiError, ControlError
from .server import Sandbox, start_in_thread

__all__ = ["ApiError", "ControlError", "Sandbox", "start_in_thread"]
