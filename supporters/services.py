"""Writes for supporters: finding them, login codes and profile changes.

Login-code rules (docs/security.md; the numbers are settings, defaults in brackets): six digits
from `secrets`, valid LOGIN_CODE_VALID_MINUTES (10), single use, stored only as a keyed hash
(`salted_hmac`) and compared in constant time. Each address has a budget of
LOGIN_CODE_WRONG_TRIES (5) wrong tries per LOGIN_CODE_WINDOW_MINUTES (15), counted in the
rate-limit store for known and unknown addresses alike; a new code does not refill it, and a
code that met that many wrong tries is dead. Each client (an IPv6 client by its /64) has a
budget of LOGIN_CODE_CLIENT_WRONG_TRIES (20) wrong tries across all addresses in the window.
At most LOGIN_CODES_PER_ADDRESS (3) codes per address and LOGIN_CODE_CLIENT_LIMIT (10) per
client in the window. Asking for a code, and
trying one, answer the same whether or not the address belongs to a supporter: by text,
status, redirect and (with the views' minimum answer time) by time.
"""

import enum
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core import ratelimit
from core.actors import Actor
from core.db import locked
from core.outbox import context_preparer

from . import audit
from .audit import supporter_audit
from .emails import LOGIN_CODE_CONTEXT, email_change_email, login_code_email
from .exceptions import LoginCodeLimitReached
from .models import LoginCode, Supporter, mailbox_of, normalise_email


def _window_seconds() -> int:
    return settings.LOGIN_CODE_WINDOW_MINUTES * 60


def supporter_get_or_create(*, email: str, name: str, language: str) -> tuple[Supporter, bool]:
    """The supporter with this address (any case), created when new; `(supporter, created)`.

    An existing supporter's details are never changed here: anyone can type any address into a
    public form, so only the supporter themself (logged in) may change them.
    """
    email = normalise_email(email)
    supporter = Supporter.objects.filter(email=email).first()
    if supporter is not None:
        return supporter, False
    try:
        with transaction.atomic():
            return Supporter.objects.create(email=email, name=name, language=language), True
    except IntegrityError:  # created by a concurrent request a moment ago
        return Supporter.objects.get(email=email), False


# --- Login codes --------------------------------------------------------------------------


CODE_HASH_SALT = "supporters.login-code"


def _code_hash(*, code: str, supporter_id: int, purpose: str, secret: str | None = None) -> str:
    value = f"{purpose}:{supporter_id}:{code}"
    return salted_hmac(CODE_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()


def _code_matches(*, stored_hash: str, code: str, supporter_id: int, purpose: str) -> bool:
    """Constant-time check against the current secret key and each fallback, so a code sent
    just before a key rotation still works (SECRET_KEY_FALLBACKS)."""
    secrets_to_try = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    results = [
        constant_time_compare(
            stored_hash,
            _code_hash(code=code, supporter_id=supporter_id, purpose=purpose, secret=secret),
        )
        for secret in secrets_to_try
    ]
    return any(results)


def _attempts_key(email: str, purpose: str) -> str:
    return ratelimit.hash_key(f"{purpose}:{normalise_email(email)}")


def login_code_issue(
    *, supporter: Supporter, purpose: str = LoginCode.Purpose.LOGIN, new_email: str = ""
) -> str:
    """Make a new code for `supporter` (replacing any earlier one) and return it in plain text.

    The caller puts it in an email and forgets it; only its hash is stored.
    """
    code = f"{secrets.randbelow(10**6):06d}"
    # Two emails for one supporter may be sent at once (two workers): take turns.
    with locked(Supporter, supporter.pk):
        LoginCode.objects.filter(supporter=supporter, purpose=purpose).delete()
        LoginCode.objects.create(
            supporter=supporter,
            purpose=purpose,
            code_hash=_code_hash(code=code, supporter_id=supporter.pk, purpose=purpose),
            new_email=normalise_email(new_email) if new_email else "",
            expires_at=timezone.now()
            + timezone.timedelta(minutes=settings.LOGIN_CODE_VALID_MINUTES),
        )
    # The address's wrong-try budget is deliberately left as it is: asking for a new code
    # must not buy an attacker a fresh set of guesses.
    return code


@context_preparer(LOGIN_CODE_CONTEXT)
def login_code_context(*, recipient: Supporter | None, context: dict) -> dict:
    """What an email that asks for a login code (`login_code_purpose` in its context) gets at
    sending time: the code, made now, how long it works and where to enter it."""
    if not context.get("login_code_purpose") or recipient is None:
        return {}
    return {
        "code": login_code_issue(
            supporter=recipient,
            purpose=context["login_code_purpose"],
            new_email=context.get("new_email", ""),
        ),
        "code_minutes": settings.LOGIN_CODE_VALID_MINUTES,
        "login_code_url": settings.PUBLIC_BASE_URL + reverse("supporters:login_code"),
    }


def login_code_request(*, email: str, language: str, client_key: str) -> None:
    """Send a login code to `email` if it belongs to a supporter; do nothing visible otherwise.

    Raises LoginCodeLimitReached when this client or this address asked too often, counted the
    same way for unknown addresses, so the answer never tells whether an address is known.
    """
    email = normalise_email(email)
    if not ratelimit.hit(
        scope="login-code-client",
        key=client_key,
        limit=settings.LOGIN_CODE_CLIENT_LIMIT,
        window=_window_seconds(),
    ) or not _address_budget(email):
        raise LoginCodeLimitReached
    supporter = Supporter.objects.filter(email=email).first()
    if supporter is not None:
        login_code_email(supporter=supporter, language=language)


def _address_budget(email: str) -> bool:
    """Count a code sent to `email`'s mailbox (every spelling of it together); False once
    LOGIN_CODES_PER_ADDRESS went there in the window."""
    return ratelimit.hit(
        scope="login-code-address",
        key=ratelimit.hash_key(mailbox_of(email)),
        limit=settings.LOGIN_CODES_PER_ADDRESS,
        window=_window_seconds(),
    )


class CodeResult(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    TOO_MANY = "too_many"


@dataclass
class CodeCheck:
    result: CodeResult
    supporter: Supporter | None = None
    login_code: LoginCode | None = None


def login_code_check(
    *,
    email: str,
    code: str,
    client_key: str,
    purpose: str = LoginCode.Purpose.LOGIN,
    supporter: Supporter | None = None,
) -> CodeCheck:
    """Check `code` for `email`; on success the code is used up.

    For LOGIN the supporter is found by `email`; for EMAIL_CHANGE pass the logged-in
    `supporter` and the new address as `email`. `client_key` is the asking client's
    (`core.ratelimit.client_key`).

    What a wrong code is told depends only on two wrong-try budgets, kept for known and unknown
    addresses alike: the address's (LOGIN_CODE_WRONG_TRIES) and the client's across every
    address it tries (LOGIN_CODE_CLIENT_WRONG_TRIES, so guessing a little at many addresses
    runs out too). WRONG while both last, TOO_MANY once either is spent and until its window
    closes. A stored code that met the limit of wrong tries stays dead after that (it is then
    just wrong), exactly as an address without a code. "Expired" and "used" are only ever told
    to someone who typed the right code, which only the mailbox's owner has.
    """
    email = normalise_email(email)
    attempts_key = _attempts_key(email, purpose)
    code = code.strip().replace(" ", "")
    if _wrong_tries_spent(attempts_key, client_key):
        return CodeCheck(CodeResult.TOO_MANY)
    if supporter is None and purpose == LoginCode.Purpose.LOGIN:
        supporter = Supporter.objects.filter(email=email).first()
    with transaction.atomic():
        stored = None
        if supporter is not None:
            stored = LoginCode.objects.select_for_update().filter(
                supporter=supporter, purpose=purpose
            )
            if purpose == LoginCode.Purpose.EMAIL_CHANGE:
                stored = stored.filter(new_email=email)
            stored = stored.first()
        matches = _code_matches(
            stored_hash=stored.code_hash if stored else "",
            code=code,
            supporter_id=supporter.pk if supporter else 0,
            purpose=purpose,
        )
        if matches and stored.failed_attempts < settings.LOGIN_CODE_WRONG_TRIES:
            if stored.used_at is not None:
                return CodeCheck(CodeResult.USED)
            if stored.expires_at <= timezone.now():
                return CodeCheck(CodeResult.EXPIRED)
            stored.used_at = timezone.now()
            stored.save(update_fields=["used_at"])
            ratelimit.reset(scope="login-attempts", key=attempts_key)
            return CodeCheck(CodeResult.OK, supporter=supporter, login_code=stored)
        if stored is not None:
            stored.failed_attempts += 1
            stored.save(update_fields=["failed_attempts"])
    tries = ratelimit.count_hit(scope="login-attempts", key=attempts_key, window=_window_seconds())
    client_tries = ratelimit.count_hit(
        scope="login-attempts-client", key=client_key, window=_window_seconds()
    )
    spent = (
        tries >= settings.LOGIN_CODE_WRONG_TRIES
        or client_tries >= settings.LOGIN_CODE_CLIENT_WRONG_TRIES
    )
    return CodeCheck(CodeResult.TOO_MANY if spent else CodeResult.WRONG)


def _wrong_tries_spent(attempts_key: str, client_key: str) -> bool:
    """Whether the address's or the client's budget of wrong codes is spent for now."""
    return (
        ratelimit.count(scope="login-attempts", key=attempts_key) >= settings.LOGIN_CODE_WRONG_TRIES
        or ratelimit.count(scope="login-attempts-client", key=client_key)
        >= settings.LOGIN_CODE_CLIENT_WRONG_TRIES
    )


# --- Profile ------------------------------------------------------------------------------


def supporter_update_profile(
    *, supporter: Supporter, name: str, language: str, actor: Actor
) -> Supporter:
    """The supporter's own name and language for emails, recorded as changed by `actor`."""
    with transaction.atomic():
        supporter.name = name
        supporter.language = language
        supporter.save(update_fields=["name", "language"])
        supporter_audit(actor, audit.SUPPORTER_PROFILE, supporter.pk, fields=["name", "language"])
    return supporter


EMAIL_CHANGES_PER_HOUR = 3


def supporter_email_change_request(
    *, supporter: Supporter, new_email: str, language: str, client_key: str
) -> None:
    """Send a code to `new_email`; the address changes only once that code is entered.

    The new address is not proven (it is typed), so what reaches it is bounded: a few codes
    per mailbox (however it is spelt), per supporter and per client, and the email does not
    repeat the typed address. Raises LoginCodeLimitReached beyond that.
    """
    new_email = normalise_email(new_email)
    if not (
        ratelimit.hit(
            scope="email-change-supporter",
            key=ratelimit.hash_key(f"supporter:{supporter.pk}"),
            limit=EMAIL_CHANGES_PER_HOUR,
            window=3600,
        )
        and ratelimit.hit(
            scope="login-code-client",
            key=client_key,
            limit=settings.LOGIN_CODE_CLIENT_LIMIT,
            window=_window_seconds(),
        )
        and _address_budget(new_email)
    ):
        raise LoginCodeLimitReached
    email_change_email(supporter=supporter, new_email=new_email, language=language)


def supporter_email_change_confirm(
    *, supporter: Supporter, new_email: str, code: str, client_key: str, actor: Actor
) -> CodeCheck:
    """Apply the new address when `code` is right. The result says what went wrong otherwise.

    When the address has meanwhile become another supporter's, the check answers WRONG.
    """
    check = login_code_check(
        email=new_email,
        code=code,
        client_key=client_key,
        purpose=LoginCode.Purpose.EMAIL_CHANGE,
        supporter=supporter,
    )
    if check.result is not CodeResult.OK:
        return check
    try:
        with transaction.atomic():
            supporter.email = check.login_code.new_email
            supporter.save(update_fields=["email"])
            supporter_audit(actor, audit.SUPPORTER_EMAIL, supporter.pk)
    except IntegrityError:
        supporter.refresh_from_db()
        return CodeCheck(CodeResult.WRONG)
    return check


def supporter_forget(*, supporter: Supporter) -> None:
    """Erase who `supporter` is: their address (an anonymous placeholder stays, so the gifts
    that are kept still have a giver), name, codes, and the addresses of the emails they got.
    Run inside the erasure's transaction, after their gifts are stopped and anonymised."""
    supporter.emails.update(
        to="", subject="", error="", context={}, recipient_type=None, recipient_id=None
    )
    LoginCode.objects.filter(supporter=supporter).delete()
    supporter.email = f"erased-{supporter.pk}@erased.invalid"
    supporter.name = ""
    supporter.save(update_fields=["email", "name"])
