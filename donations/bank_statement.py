"""Bank statements as Dutch banks export them, read into the incoming transfers on them.

Staff download a statement from online banking and import it, so that gifts made by bank
transfer can be matched to supporters. Two formats are read:

- CAMT.053 (ISO 20022 XML day statement, `urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN`,
  versions 02 to 13), the format every Dutch bank offers. Several statements per document,
  several entries per statement and batch entries with several transactions each are read.
  The XML goes through defusedxml with document types refused, so an entity bomb or an
  external entity stops the import instead of hanging it or reading a file.
- MT940, the older text format, through the `mt-940` package. The `:86:` description is read
  the way ABN AMRO, ING and Rabobank structure it (`/NAME/`, `/IBAN/`, `/CNTP/`, `/REMI/`), or
  taken as free text.

Only booked incoming money counts (credits, not reversed); everything else on the statement is
counted as skipped. Amounts are Decimals, never floats, in the currency of the statement.

The payer's full IBAN is never kept: the returned objects hold its masked form (for staff to
recognise the account) and a keyed fingerprint (to find earlier gifts from the same account),
and any IBAN the payer typed in the description is masked as well. A statement holds the bank
details of every payer on it; what the site stores after an import must not (see
`donations.bank`). The full IBAN lives only in local variables while a transfer is read.

Pure functions: no database, no models, no network.
"""

import datetime
import decimal
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree
import mt940
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from donations.bank import find_ibans, iban_fingerprint, iban_masked, mask_ibans

MAX_BYTES = 20 * 1024 * 1024
KEY_MAX = 120
NOT_PROVIDED = "NOTPROVIDED"

_CAMT053 = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})")
_CAMT053_VERSIONS = range(2, 14)
_ISO20022 = re.compile(r"urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.\d{3})\.\d{3}\.\d{2}")
_ISO20022_KINDS = {
    "camt.052": _("an account report, with pending items"),
    "camt.054": _("a notification of single debits or credits"),
    "pain.001": _("a payment order"),
    "pain.002": _("a payment status report"),
    "pain.008": _("a direct debit order"),
}
_MT940_TAG = re.compile(r"^:(?:20|940|61):", re.MULTILINE)
_MT940_BLOCK = re.compile(r"^(?=:20:)", re.MULTILINE)
_CAMT_AMOUNT = re.compile(r"\d{1,18}(?:\.\d{1,5})?")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

# The sub-fields Dutch banks write in a structured MT940 :86: description.
_MT940_FIELD = re.compile(
    r"/(TRTP|IBAN|BIC|NAME|REMI|EREF|MARF|CSID|ORDP|BENM|ADDR|ID|CNTP|PURP|ULTC|ULTD|ULTB|"
    r"RTRN|ISDT|SVCL|PREF|CHGS|EXCH|BUSP|RTYP)/"
)
# SWIFT text lines are at most 65 characters; a full line was cut, not ended.
_MT940_LINE = 65
_MT940_OPTIONS = mt940.Options(
    reversal_sign=True,
    case_insensitive_marks=True,
    unbounded_details=True,
    merge_keeps_values=True,
)


class StatementUnreadable(Exception):
    """The file is not a statement this site can read. The message is a sentence for staff."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class Transfer:
    """One incoming transfer on our account, as the bank booked it."""

    key: str
    booked_on: datetime.date
    amount: Decimal
    currency: str
    remittance: str
    end_to_end_id: str
    payer_name: str
    payer_iban_masked: str
    payer_iban_fingerprint: str


@dataclass(frozen=True)
class Statement:
    """What a statement file holds for us: the incoming transfers, and how many other
    entries (debits, pending and reversed ones) were left out. A file with several statements
    lists their ids and accounts joined with ", "."""

    account_masked: str
    statement_id: str
    created_at: datetime.datetime | None
    transfers: tuple[Transfer, ...]
    skipped: int
    # Our own account(s) the statement is of, as keyed fingerprints of the compact IBAN or of
    # the digits of a plain account number (ABN AMRO's MT940 writes "ABNANL2A/0886956927"),
    # for `statement_is_of`: no account number in full leaves this module, ours neither.
    account_numbers: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Read:
    """An incoming transfer as read, before it gets its key: the full IBAN is still here,
    so this never leaves the module."""

    account_masked: str
    booked_on: datetime.date
    amount: Decimal
    currency: str
    remittance: str
    end_to_end_id: str
    payer_name: str
    payer_iban: str


# --- Entry point ---------------------------------------------------------------------------


def statement_read(data: bytes, filename: str = "") -> Statement:
    """The incoming transfers on a CAMT.053 or MT940 statement (format told by the content).

    Raises StatementUnreadable, with a message for staff, for anything else.
    """
    if len(data) > MAX_BYTES:
        raise StatementUnreadable(
            _("This file is larger than 20 MB. Export a shorter period from online banking.")
        )
    content = data.lstrip()
    if not content:
        raise StatementUnreadable(_("This file is empty."))
    if _looks_like_xml(content):
        return _camt_statement(_xml_root(content))
    text = _decoded(content)
    if _MT940_TAG.search(text):
        return _mt940_statement(text)
    raise _not_a_statement(filename)


def _looks_like_xml(content: bytes) -> bool:
    for bom in _BOMS:
        content = content.removeprefix(bom)
    return content.lstrip().startswith(b"<") or content.startswith(b"<\x00")


def _decoded(content: bytes) -> str:
    """The text of a file in one of the encodings Dutch banks use (cp1252 maps almost every
    byte; latin-1 every one)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _not_a_statement(filename: str) -> StatementUnreadable:
    if filename:
        return StatementUnreadable(
            _(
                "“%(name)s” is not a bank statement. Export a CAMT.053 day statement "
                "(or an MT940 file) from online banking and import that."
            )
            % {"name": filename[:100]}
        )
    return StatementUnreadable(
        _(
            "This file is not a bank statement. Export a CAMT.053 day statement "
            "(or an MT940 file) from online banking and import that."
        )
    )


def _amount_unreadable(value: str = "") -> StatementUnreadable:
    if not value.strip():
        return StatementUnreadable(
            _("An amount in this statement cannot be read. Export the statement again.")
        )
    return StatementUnreadable(
        _("The amount “%(value)s” in this statement cannot be read. Export the statement again.")
        % {"value": value.strip()[:30]}
    )


# --- Keys ----------------------------------------------------------------------------------


def _key_of(read: _Read) -> str:
    """The transfer's id, the same whatever file it is read from: the booking day, and a hash
    of the amount (to the cent: "50,", "50.0" and "50.00" are one amount), the currency and
    the payer's account. Not our own account (statements are of ours only, and MT940 writes it
    another way than CAMT.053), not the bank's own reference, nor the place on the statement:
    a CAMT.053 and an MT940 file of the same day, or a day statement and a month's statement,
    give those differently, and the same transfer read from both must be found again.
    Transfers alike in all of these on one day are told apart by their order
    (`_with_unique_keys`): a whole day is on every statement that covers it."""
    parts = (
        str(read.amount.quantize(Decimal("0.01"))),
        read.currency,
        iban_fingerprint(read.payer_iban) if read.payer_iban else "",
    )
    return f"{read.booked_on.isoformat()}:" + _sha256("\x1f".join(parts))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _with_unique_keys(transfers: Iterable[Transfer]) -> tuple[Transfer, ...]:
    """The transfers, a second one with a key already taken (a bank that repeats a reference)
    getting "#2" after it, a third "#3": in file order, so the same on every read."""
    seen: Counter[str] = Counter()
    unique = []
    for transfer in transfers:
        seen[transfer.key] += 1
        if seen[transfer.key] > 1:
            transfer = replace(transfer, key=f"{transfer.key}#{seen[transfer.key]}")
        unique.append(transfer)
    return tuple(unique)


# What a transfer on a real statement can be; anything else is a damaged or made-up file.
_CURRENCY = re.compile(r"[A-Z]{3}")
_AMOUNT_LIMIT = Decimal("100000000")  # what the site can store (ten digits, two decimals)
_EARLIEST = datetime.date(2000, 1, 1)


def _checked(read: _Read) -> _Read:
    if not _CURRENCY.fullmatch(read.currency):
        raise StatementUnreadable(
            _("A currency in this statement is not a currency code. Export the statement again.")
        )
    if read.amount >= _AMOUNT_LIMIT or read.amount != read.amount.quantize(Decimal("0.01")):
        raise _amount_unreadable(str(read.amount))
    latest = datetime.date.today() + datetime.timedelta(days=366)
    if not _EARLIEST <= read.booked_on <= latest:
        raise StatementUnreadable(
            _("A booking date in this statement (%(day)s) cannot be right. Export it again.")
            % {"day": read.booked_on.isoformat()}
        )
    return read


def _transfer(read: _Read) -> Transfer:
    """The transfer as it leaves this module: checked, masked, with its key."""
    read = _checked(read)
    return Transfer(
        key=_key_of(read),
        booked_on=read.booked_on,
        amount=read.amount,
        currency=read.currency,
        remittance=_clean(read.remittance),
        end_to_end_id=read.end_to_end_id,
        payer_name=_clean(read.payer_name),
        payer_iban_masked=iban_masked(read.payer_iban) if read.payer_iban else "",
        payer_iban_fingerprint=iban_fingerprint(read.payer_iban) if read.payer_iban else "",
    )


# Control characters (a NUL byte, say) have no place in a name or a description, and the
# database refuses some of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A description longer than this is cut before it is read for account numbers.
_TEXT_MAX = 1000


def _clean(text: str) -> str:
    """Control characters out, whitespace collapsed, any IBAN in it masked."""
    return mask_ibans(" ".join(_CONTROL.sub("", text[:_TEXT_MAX]).split()))


def _end_to_end_id(value: str) -> str:
    """The payer's end-to-end id, "" when not given (an IBAN in it masked, like everywhere)."""
    value = _CONTROL.sub("", value).strip()[:_TEXT_MAX]
    return "" if value.upper() == NOT_PROVIDED else mask_ibans(value)


def _compact(account: str) -> str:
    return re.sub(r"\s", "", account).upper()


def _joined(values: Iterable[str]) -> str:
    """Distinct non-empty values, in order, joined with ", "."""
    return ", ".join(dict.fromkeys(v for v in values if v))


def _statement_id(values: Iterable[str]) -> str:
    """The ids of the statements in a file, our account masked where a bank puts it in."""
    return mask_ibans(_joined(values))


# --- CAMT.053 ------------------------------------------------------------------------------


def _xml_root(content: bytes) -> Element:
    try:
        return defusedxml.ElementTree.fromstring(content, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise StatementUnreadable(
            _(
                "This file contains XML declarations a bank statement never has (a document "
                "type or entities), so it was not read. Export the statement again."
            )
        ) from None
    except (ParseError, ValueError, LookupError):
        raise StatementUnreadable(
            _(
                "This XML file is damaged or incomplete and cannot be read. Download the "
                "statement again."
            )
        ) from None


@dataclass(frozen=True)
class _Camt:
    """Finds elements by their local name within one camt.053 namespace."""

    namespace: str

    def _path(self, names: tuple[str, ...]) -> str:
        return "/".join(f"{{{self.namespace}}}{name}" for name in names)

    def find(self, element: Element, *names: str) -> Element | None:
        return element.find(self._path(names))

    def findall(self, element: Element, *names: str) -> list[Element]:
        return element.findall(self._path(names))

    def text(self, element: Element, *names: str) -> str:
        found = self.find(element, *names)
        return (found.text or "").strip() if found is not None else ""

    def texts(self, element: Element, *names: str) -> list[str]:
        return [(found.text or "").strip() for found in self.findall(element, *names)]


def _camt_namespace(root: Element) -> str:
    """The camt.053 namespace of the document, or StatementUnreadable saying what it is."""
    namespace, _brace, local = root.tag[1:].partition("}") if root.tag[:1] == "{" else ("", "", "")
    if (match := _CAMT053.fullmatch(namespace)) and local == "Document":
        if int(match[1]) in _CAMT053_VERSIONS:
            return namespace
        raise StatementUnreadable(
            _(
                "This is a camt.053 statement in version %(version)s, which this site cannot "
                "read. Export a camt.053 file in version 02 to 13 (banks offer 02 or 08)."
            )
            % {"version": match[1]}
        )
    if kind := _ISO20022.fullmatch(namespace):
        what = _ISO20022_KINDS.get(kind[1], _("another kind of banking document"))
        raise StatementUnreadable(
            _(
                "This is a %(kind)s file (%(what)s), not a day statement. Export a camt.053 "
                "day statement from online banking and import that."
            )
            % {"kind": kind[1], "what": what}
        )
    raise StatementUnreadable(
        _(
            "This XML file is not a bank statement. Export a camt.053 day statement from "
            "online banking and import that."
        )
    )


def _camt_statement(root: Element) -> Statement:
    camt = _Camt(_camt_namespace(root))
    message = camt.find(root, "BkToCstmrStmt")
    statements = camt.findall(message, "Stmt") if message is not None else []
    if message is None or not statements:
        raise StatementUnreadable(
            _("This camt.053 file holds no statement. Export the statement again.")
        )
    reads = [read for s in statements for read in _camt_statement_reads(camt, s)]
    return Statement(
        account_masked=_joined(_camt_account(camt, s) for s in statements),
        statement_id=_statement_id(camt.text(s, "Id") for s in statements)
        or _statement_id([camt.text(message, "GrpHdr", "MsgId")]),
        created_at=_camt_datetime(camt.text(message, "GrpHdr", "CreDtTm"))
        or _camt_datetime(camt.text(statements[0], "CreDtTm")),
        transfers=_with_unique_keys(_transfer(read) for read in reads if read is not None),
        skipped=reads.count(None),
        account_numbers=tuple(
            dict.fromkeys(_account_fingerprint(_camt_account_text(camt, s)) for s in statements)
        ),
    )


def _camt_account_text(camt: _Camt, statement: Element) -> str:
    return camt.text(statement, "Acct", "Id", "IBAN") or camt.text(
        statement, "Acct", "Id", "Othr", "Id"
    )


def _camt_account(camt: _Camt, statement: Element) -> str:
    """Our own account of a statement, masked."""
    return iban_masked(_camt_account_text(camt, statement))


def _camt_datetime(value: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _camt_date(value: str) -> datetime.date:
    """An ISO date, or the date of an ISO date-time (its offset, if any, ignored)."""
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        raise StatementUnreadable(
            _("The date “%(value)s” in this statement cannot be read. Export it again.")
            % {"value": value[:30]}
        ) from None


def _camt_money(amount: Element | None, currency: str = "") -> tuple[Decimal, str]:
    """The value and currency of an amount element (the currency given, if it has none)."""
    text = (amount.text or "").strip() if amount is not None else ""
    if not _CAMT_AMOUNT.fullmatch(text):
        raise _amount_unreadable(text)
    currency = (amount.get("Ccy", "") if amount is not None else "").strip().upper() or currency
    if not currency:
        raise StatementUnreadable(
            _("An amount in this statement has no currency. Export the statement again.")
        )
    return Decimal(text), currency


def _camt_is_booked_credit(camt: _Camt, entry: Element) -> bool:
    status = camt.find(entry, "Sts")
    code = ""
    if status is not None:  # the code itself in 02 to 08, a Cd (or Prtry) element from 09 on
        code = camt.text(status, "Cd") or camt.text(status, "Prtry") or (status.text or "")
    return (
        camt.text(entry, "CdtDbtInd").upper() == "CRDT"
        and code.strip().upper() == "BOOK"
        and camt.text(entry, "RvslInd").lower() not in ("true", "1")
    )


def _camt_booking_date(camt: _Camt, entry: Element) -> datetime.date:
    for names in (("BookgDt", "Dt"), ("BookgDt", "DtTm"), ("ValDt", "Dt"), ("ValDt", "DtTm")):
        if value := camt.text(entry, *names):
            return _camt_date(value)
    raise StatementUnreadable(
        _("An entry in this statement has no booking date. Export the statement again.")
    )


def _camt_statement_reads(camt: _Camt, statement: Element) -> Iterator[_Read | None]:
    """Each incoming transfer on one statement, and None for each entry or transaction that
    is not one."""
    account = _camt_account(camt, statement)
    account_currency = camt.text(statement, "Acct", "Ccy").upper()
    for entry in camt.findall(statement, "Ntry"):
        if _camt_is_booked_credit(camt, entry):
            yield from _camt_entry_reads(camt, entry, account, account_currency)
        else:
            yield None


def _camt_entry_reads(
    camt: _Camt, entry: Element, account: str, account_currency: str
) -> Iterator[_Read | None]:
    """The transfers of one booked credit entry: one per transaction in it (a batch has
    several), or the entry itself when the bank gives no transaction details."""
    amount, currency = _camt_money(camt.find(entry, "Amt"), account_currency)
    entry_read = _Read(
        account_masked=account,
        booked_on=_camt_booking_date(camt, entry),
        amount=amount,
        currency=currency,
        remittance=camt.text(entry, "AddtlNtryInf"),
        end_to_end_id="",
        payer_name="",
        payer_iban="",
    )
    details = camt.findall(entry, "NtryDtls", "TxDtls")
    if not details:
        yield entry_read if amount > 0 else None
        return
    for tx in details:
        if camt.text(tx, "CdtDbtInd").upper() not in ("", "CRDT"):
            yield None
            continue
        tx_amount, tx_currency = _camt_tx_money(camt, tx, len(details), entry_read)
        read = replace(entry_read, amount=tx_amount, currency=tx_currency)
        yield _camt_with_payer(camt, tx, read) if tx_amount > 0 else None


def _camt_tx_money(camt: _Camt, tx: Element, count: int, entry: _Read) -> tuple[Decimal, str]:
    """A transaction's own amount; the entry's when it is the only one and has none."""
    for names in (("AmtDtls", "TxAmt", "Amt"), ("Amt",)):
        if (element := camt.find(tx, *names)) is not None:
            return _camt_money(element, entry.currency)
    if count == 1:
        return entry.amount, entry.currency
    raise StatementUnreadable(
        _(
            "A batch entry in this statement has a transaction without its own amount. "
            "Export the statement with transaction details."
        )
    )


def _camt_with_payer(camt: _Camt, tx: Element, read: _Read) -> _Read:
    """`read` with the payer, the description and the end-to-end id of transaction `tx`."""
    parties = camt.find(tx, "RltdPties")
    name = iban = ""
    if parties is not None:
        name = camt.text(parties, "Dbtr", "Nm") or camt.text(parties, "Dbtr", "Pty", "Nm")
        iban = _compact(camt.text(parties, "DbtrAcct", "Id", "IBAN"))
    lines = camt.texts(tx, "RmtInf", "Ustrd") + camt.texts(
        tx, "RmtInf", "Strd", "CdtrRefInf", "Ref"
    )
    return replace(
        read,
        remittance=" ".join(lines),
        end_to_end_id=_end_to_end_id(camt.text(tx, "Refs", "EndToEndId")),
        payer_name=name,
        payer_iban=iban,
    )


# --- MT940 ---------------------------------------------------------------------------------


def _mt940_statement(text: str) -> Statement:
    blocks = [b for b in _MT940_BLOCK.split(text) if b.lstrip().startswith(":20:")] or [text]
    transfers: list[Transfer] = []
    skipped = 0
    accounts, ids, numbers = [], [], []
    for block in blocks:
        parsed = _mt940_parsed(block)
        identification = str(parsed.data.get("account_identification") or "")
        account = _mt940_account(identification)
        accounts.append(account)
        numbers.append(_account_fingerprint(identification))
        ids.append(
            " ".join(
                str(parsed.data.get(k) or "").strip()
                for k in ("transaction_reference", "statement_number")
            ).strip()
        )
        for transaction in parsed:
            read = _mt940_read(transaction.data, account, parsed.currency or "")
            if read is None:
                skipped += 1
            else:
                transfers.append(_transfer(read))
    if not any(accounts) and not transfers and not skipped:
        raise _not_a_statement("")
    return Statement(
        account_masked=_joined(accounts),
        statement_id=_statement_id(ids),
        created_at=None,  # MT940 from Dutch banks says when the day ended, not when it was made
        transfers=_with_unique_keys(transfers),
        skipped=skipped,
        account_numbers=tuple(dict.fromkeys(numbers)),
    )


def _mt940_parsed(block: str) -> mt940.models.Transactions:
    """One statement block parsed by mt-940 (given the text, never a path: `mt940.parse`
    would open a file if the data happened to name one)."""
    transactions = mt940.models.Transactions(options=_MT940_OPTIONS)
    try:
        transactions.parse(block)
    except decimal.InvalidOperation:
        raise _amount_unreadable() from None
    except Exception:  # mt-940 raises RuntimeError, and others, on what it cannot parse
        raise StatementUnreadable(
            _(
                "This MT940 file has a line that does not follow the MT940 format. Export "
                "the statement again, or export a CAMT.053 file instead."
            )
        ) from None
    return transactions


def _mt940_account(value: str) -> str:
    """Our account of an MT940 statement, masked: the :25: field may add the currency to
    the IBAN (NL69INGB0123456789EUR) or be a plain account number."""
    compact = _compact(value)
    currency = re.fullmatch(r"(.{8,}?)[A-Z]{3}", compact)
    if currency and not _is_iban(compact) and _is_iban(currency[1]):
        compact = currency[1]
    return iban_masked(compact) if compact else ""


def _account_number(value: str) -> str:
    """An account as a statement names it, in a form to compare: the compact IBAN (a currency
    after it dropped), or the digits of a plain account number without leading zeros."""
    compact = _compact(value)
    if _is_iban(compact):
        return compact
    currency = re.fullmatch(r"(.{8,}?)[A-Z]{3}", compact)
    if currency and _is_iban(currency[1]):
        return currency[1]
    digits = re.sub(r"\D", "", compact.rsplit("/", 1)[-1])
    return digits.lstrip("0")


def _account_fingerprint(value: str) -> str:
    number = _account_number(value)
    return iban_fingerprint(number) if number else ""


def statement_is_of(statement: Statement, iban: str) -> bool:
    """Whether `statement` is of the account `iban` (by its IBAN, or its account number)."""
    own = _compact(iban)
    if not own:
        return False
    number = re.sub(r"\D", "", own[4:]).lstrip("0")  # the account number in the BBAN
    ours = {iban_fingerprint(own), iban_fingerprint(number)}
    return bool(statement.account_numbers) and all(
        found in ours for found in statement.account_numbers
    )


def _is_iban(value: str) -> bool:
    return bool(value) and find_ibans(value) == [value]


def _mt940_read(data: dict[str, Any], account: str, currency: str) -> _Read | None:
    """The incoming transfer of one MT940 transaction, or None for anything else."""
    amount = data.get("amount")
    if str(data.get("status") or "").upper() != "C" or amount is None or amount.amount <= 0:
        return None
    date = data.get("entry_date") or data.get("date")
    if date is None:
        return None
    details = _mt940_details(str(data.get("transaction_details") or data.get("purpose") or ""))
    fields = _mt940_fields(details)
    counterparty = [*fields.get("CNTP", "").split("/"), "", "", ""]
    iban = _compact(fields.get("IBAN") or counterparty[0])
    if not _is_iban(iban):
        iban = _mt940_iban_in(str(data.get("extra_details") or "")) or _mt940_iban_in(details)
    if "REMI" in fields:
        remittance = _mt940_remittance(fields["REMI"])
    else:  # structured without a description (payer and references only), or free text
        remittance = "" if fields else details
    return _Read(
        account_masked=account,
        booked_on=datetime.date(date.year, date.month, date.day),
        amount=Decimal(amount.amount),
        currency=(amount.currency or currency).upper(),
        remittance=remittance,
        end_to_end_id=_end_to_end_id(fields.get("EREF", "")),
        payer_name=fields.get("NAME") or counterparty[2],
        payer_iban=iban,
    )


def _mt940_details(raw: str) -> str:
    """The :86: description on one line: a line of full SWIFT width was cut mid-text and is
    joined without a space, a shorter one ended there."""
    text = ""
    cut = False
    for line in (line.rstrip() for line in raw.splitlines()):
        if not line.strip():
            continue
        text += line if cut or not text else f" {line}"
        cut = len(line) >= _MT940_LINE
    return text


def _mt940_fields(details: str) -> dict[str, str]:
    """The sub-fields of a structured description (`/EREF/.../NAME/.../REMI/...`), the first
    of each; {} for free text."""
    text = details.strip()
    matches = list(_MT940_FIELD.finditer(text))
    if not matches or matches[0].start() != 0:
        return {}
    fields: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following is not None else len(text)
        fields.setdefault(match[1], text[match.end() : end].rstrip("/ ").strip())
    return fields


def _mt940_remittance(value: str) -> str:
    """The description in a /REMI/ field: after USTD// the text the payer typed, after
    STRD/CUR/ (or STRD/ISO/) the structured reference."""
    if value.startswith("USTD//"):
        return value.removeprefix("USTD//")
    if match := re.fullmatch(r"STRD/[A-Z]{3}/(.*)", value):
        return match[1]
    return value


def _mt940_iban_in(text: str) -> str:
    """The counterparty's IBAN Rabobank writes on the second line of :61:, if any."""
    ibans = find_ibans(text)
    return _compact(ibans[0]) if len(ibans) == 1 else ""
