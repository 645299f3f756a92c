"""Writes for supporters: finding them, login codes, profile changes and erasure.

Login-code rules (DESIGN.md, "Supporter login"): six digits from `secrets`, valid ten minutes,
single use, stored only as an HMAC keyed with the secret key and compared in constant time, dead
after five wrong tries, replaced by a newer code. At most three codes per address and
`LOGIN_CODE_CLIENT_LIMIT` per client in fifteen minutes, counted in the shared cache. Asking for
a code, and trying one, behave the same whether or not the address belongs to a supporter.
"""

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import ratelimit

from .exceptions import LoginCodeLimitReached
from .models import LoginCode, Supporter, normalise_email

CODE_VALID_FOR = timezone.timedelta(minutes=10)
MAX_FAILED_ATTEMPTS = 5
LIMIT_WINDOW_SECONDS = 15 * 60
CODES_PER_ADDRESS = 3


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


def _code_hash(*, code: str, supporter_id: int, purpose: str) -> str:
    message = f"login-code:{purpose}:{supporter_id}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _attempts_key(email: str, purpose: str) -> str:
    return ratelimit.hash_key(f"{purpose}:{normalise_email(email)}")


def login_code_issue(
    *, supporter: Supporter, purpose: str = LoginCode.Purpose.LOGIN, new_email: str = ""
) -> str:
    """Make a new code for `supporter` (replacing any earlier one) and return it in plain text.

    The caller puts it in an email and forgets it; only its hash is stored.
    """
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        # Two emails for one supporter may be sent at once (two workers): take turns.
        Supporter.objects.select_for_update().get(pk=supporter.pk)
        LoginCode.objects.filter(supporter=supporter, purpose=purpose).delete()
        LoginCode.objects.create(
            supporter=supporter,
            purpose=purpose,
            code_hash=_code_hash(code=code, supporter_id=supporter.pk, purpose=purpose),
            new_email=normalise_email(new_email) if new_email else "",
            expires_at=timezone.now() + CODE_VALID_FOR,
        )
    address = new_email or supporter.email
    ratelimit.reset(scope="login-attempts", key=_attempts_key(address, purpose))
    return code


def login_code_request(*, email: str, language: str, client_key: str) -> None:
    """Send a login code to `email` if it belongs to a supporter; do nothing visible otherwise.

    Raises LoginCodeLimitReached when this client or this address asked too often, counted the
    same way for unknown addresses, so the answer never tells whether an address is known.
    """
    from .emails import login_code_email

    email = normalise_email(email)
    if not ratelimit.hit(
        scope="login-code-client",
        key=client_key,
        limit=settings.LOGIN_CODE_CLIENT_LIMIT,
        window=LIMIT_WINDOW_SECONDS,
    ) or not ratelimit.hit(
        scope="login-code-address",
        key=ratelimit.hash_key(email),
        limit=CODES_PER_ADDRESS,
        window=LIMIT_WINDOW_SECONDS,
    ):
        raise LoginCodeLimitReached
    ratelimit.reset(scope="login-attempts", key=_attempts_key(email, LoginCode.Purpose.LOGIN))
    supporter = Supporter.objects.filter(email=email).first()
    if supporter is not None:
        login_code_email(supporter=supporter, language=language)


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
    purpose: str = LoginCode.Purpose.LOGIN,
    supporter: Supporter | None = None,
) -> CodeCheck:
    """Check `code` for `email`; on success the code is used up.

    For LOGIN the supporter is found by `email`; for EMAIL_CHANGE pass the logged-in
    `supporter` and the new address as `email`. "Expired" and "used" are only ever reported for
    the right code, and wrong tries are counted per address for known and unknown addresses
    alike, so the answers never reveal whether an address belongs to a supporter.
    """
    email = normalise_email(email)
    attempts_key = _attempts_key(email, purpose)
    code = code.strip().replace(" ", "")
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
        expected = (
            stored.code_hash
            if stored
            else _code_hash(code=secrets.token_hex(8), supporter_id=0, purpose=purpose)
        )
        given = _code_hash(
            code=code, supporter_id=supporter.pk if supporter else 0, purpose=purpose
        )
        matches = hmac.compare_digest(expected, given) and stored is not None
        too_many = stored is not None and stored.failed_attempts >= MAX_FAILED_ATTEMPTS
        if matches and not too_many:
            if stored.used_at is not None:
                return CodeCheck(CodeResult.USED)
            if stored.expires_at <= timezone.now():
                return CodeCheck(CodeResult.EXPIRED)
            stored.used_at = timezone.now()
            stored.save(update_fields=["used_at"])
            ratelimit.reset(scope="login-attempts", key=attempts_key)
            return CodeCheck(CodeResult.OK, supporter=supporter, login_code=stored)
        if too_many:
            return CodeCheck(CodeResult.TOO_MANY)
        if stored is not None:
            stored.failed_attempts += 1
            stored.save(update_fields=["failed_attempts"])
    within_limit = ratelimit.hit(
        scope="login-attempts",
        key=attempts_key,
        limit=MAX_FAILED_ATTEMPTS - 1,
        window=LIMIT_WINDOW_SECONDS,
    )
    return CodeCheck(CodeResult.WRONG if within_limit else CodeResult.TOO_MANY)


# --- Profile ------------------------------------------------------------------------------


def supporter_update_profile(*, supporter: Supporter, name: str, language: str) -> Supporter:
    supporter.name = name
    supporter.language = language
    supporter.save(update_fields=["name", "language"])
    return supporter


def supporter_email_change_request(*, supporter: Supporter, new_email: str, language: str) -> None:
    """Send a code to `new_email`; the address changes only once that code is entered.

    Raises LoginCodeLimitReached when codes were requested too often for that address.
    """
    from .emails import email_change_email

    new_email = normalise_email(new_email)
    if not ratelimit.hit(
        scope="login-code-address",
        key=ratelimit.hash_key(new_email),
        limit=CODES_PER_ADDRESS,
        window=LIMIT_WINDOW_SECONDS,
    ):
        raise LoginCodeLimitReached
    email_change_email(supporter=supporter, new_email=new_email, language=language)


def supporter_email_change_confirm(*, supporter: Supporter, new_email: str, code: str) -> CodeCheck:
    """Apply the new address when `code` is right. The result says what went wrong otherwise.

    When the address has meanwhile become another supporter's, the check answers WRONG.
    """
    check = login_code_check(
        email=new_email, code=code, purpose=LoginCode.Purpose.EMAIL_CHANGE, supporter=supporter
    )
    if check.result is not CodeResult.OK:
        return check
    try:
        with transaction.atomic():
            supporter.email = check.login_code.new_email
            supporter.save(update_fields=["email"])
    except IntegrityError:
        supporter.refresh_from_db()
        return CodeCheck(CodeResult.WRONG)
    return check
