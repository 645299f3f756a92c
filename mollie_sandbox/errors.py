"""Error types shared by the sandbox modules.

`ApiError` is what a Mollie v2 endpoint answers with: it renders to the same JSON body Mollie
sends (`status`, `title`, `detail`, optional `field`, `_links.documentation`), so the official
client maps it to the same exception class (`UnprocessableEntityError` with `.field`, ...).
`ControlError` is for the sandbox's own `/_sandbox/...` endpoints and Python helpers.
"""

from __future__ import annotations

from http import HTTPStatus

DOCS_ERRORS = "https://docs.mollie.com/overview/handling-errors"
DOCS_AUTH = "https://docs.mollie.com/overview/authentication"

# Mollie's titles. Mostly the classic HTTP reason phrases, fixed here because Python 3.13
# renamed some of them (422 became "Unprocessable Content"), while Mollie did not.
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
}


class ApiError(Exception):
    """A Mollie-style API error; `field` names the offending request field, as Mollie does."""

    def __init__(self, status: int, detail: str, field: str | None = None, docs: str = DOCS_ERRORS):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.docs = docs

    def body(self) -> dict:
        title = _TITLES.get(self.status) or HTTPStatus(self.status).phrase
        body: dict = {"status": self.status, "title": title, "detail": self.detail}
        if self.field:
            body["field"] = self.field
        body["_links"] = {"documentation": {"href": self.docs, "type": "text/html"}}
        return body


def unprocessable(detail: str, field: str | None = None) -> ApiError:
    return ApiError(422, detail, field)


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, f"No {kind} exists with token {ident}.")


class ControlError(Exception):
    """A refused sandbox control action (unknown id, illegal transition, bad parameter).

    `status` is the HTTP status the control endpoint answers with (404, 400 or 409).
    """

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message
