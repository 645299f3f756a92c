"""donations/bank_statement.py: the incoming transfers on a CAMT.053 or MT940 statement, with
no full IBAN kept, and a clear refusal of anything else. The sample statements (fictional
people and accounts) are in statements/."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from donations.bank import find_ibans, iban_fingerprint
from donations.bank_statement import (
    KEY_MAX,
    MAX_BYTES,
    Statement,
    StatementUnreadable,
    Transfer,
    statement_is_of,
    statement_read,
)

STATEMENTS = Path(__file__).parent / "statements"
RABOBANK_02 = "camt053_001_02_rabobank.xml"
ING_08 = "camt053_001_08_ing.xml"
BATCH_04 = "camt053_001_04_batch.xml"
NO_REFERENCES_08 = "camt053_001_08_no_references.xml"
NOTIFICATION_054 = "camt054_001_08_notification.xml"
ABN_AMRO_MT940 = "mt940_abnamro.sta"

# Every full IBAN written in the sample files.
SAMPLE_IBANS = [
    "NL39RABO0300065264",
    "NL69INGB0123456789",
    "NL91ABNA0417164300",
    "NL83ABNA0561234567",
    "NL36INGB0007654321",
    "NL63TRIO0212345678",
    "NL94RABO3456789012",
    "NL66ASNB0707070707",
    "NL61SNSB0987654321",
    "NL23BUNQ2025123456",
]


@pytest.fixture(autouse=True)
def mollie():
    """A pure parser: the Mollie sandbox the other donation tests start is not needed."""


def sample(name: str) -> bytes:
    return (STATEMENTS / name).read_bytes()


def read(name: str) -> Statement:
    return statement_read(sample(name), name)


def refusal(data: bytes, filename: str = "") -> str:
    """The message staff see for a file that is refused, in English."""
    with pytest.raises(StatementUnreadable) as refused, translation.override("en"):
        statement_read(data, filename)
    with translation.override("en"):
        return str(refused.value)


def test_a_camt053_001_02_statement_is_read():
    statement = read(RABOBANK_02)

    assert statement.account_masked == "NL** **** **** 5264"
    assert statement.statement_id == "NL** **** **** 5264-2024-03-01"  # our IBAN, masked
    assert statement.created_at == datetime.datetime(
        2024, 3, 1, 7, 55, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    assert len(statement.transfers) == 3
    assert statement.transfers[0] == Transfer(
        key=statement.transfers[0].key,
        booked_on=datetime.date(2024, 3, 1),
        amount=Decimal("25.00"),
        currency="EUR",
        remittance="Gift voor de campagne bedankt voor jullie werk",
        end_to_end_id="SEPA-20240229-0042",
        payer_name="J. de Vries",
        payer_iban_masked="NL** **** **** 4567",
        payer_iban_fingerprint=iban_fingerprint("NL83ABNA0561234567"),
    )


def test_a_camt053_001_08_file_with_two_day_statements_is_read():
    statement = read(ING_08)

    assert statement.account_masked == "NL** **** **** 6789"
    assert statement.statement_id == "0000024-2024-03-04, 0000025-2024-03-05"
    assert statement.created_at == datetime.datetime(2024, 3, 6, 5, 30, tzinfo=datetime.UTC)
    assert [(t.booked_on, t.amount, t.payer_name) for t in statement.transfers] == [
        (datetime.date(2024, 3, 4), Decimal("15.00"), "M. Jansen"),  # Dbtr/Pty/Nm, Sts/Cd
        (datetime.date(2024, 3, 5), Decimal("50.00"), "Fam. El Amrani"),  # BookgDt/DtTm
    ]
    assert statement.transfers[0].end_to_end_id == "2403041522334455"
    assert statement.transfers[1].end_to_end_id == ""  # NOTPROVIDED
    assert statement.skipped == 1  # the printer's invoice paid


def test_a_batch_entry_gives_each_transaction_with_its_own_amount_and_payer():
    statement = read(BATCH_04)

    assert [(t.amount, t.payer_name, t.payer_iban_masked) for t in statement.transfers] == [
        (Decimal("10.00"), "S. Mulder", "NL** **** **** 4321"),
        (Decimal("20.00"), "R. de Boer", "NL** **** **** 0707"),
        (Decimal("30.00"), "L. Hendriks", "NL** **** **** 3456"),
    ]
    keys = [t.key for t in statement.transfers]
    assert len(set(keys)) == 3 and all(k.startswith("2024-03-07:") for k in keys)


def test_a_single_transaction_without_an_amount_has_the_entry_amount():
    data = sample(ING_08).replace(
        b'<Amt Ccy="EUR">15.00</Amt>\n            <CdtDbtInd>', b"<CdtDbtInd>"
    )

    assert statement_read(data).transfers[0].amount == Decimal("15.00")


def test_debits_pending_and_reversed_entries_are_skipped_and_counted():
    statement = read(RABOBANK_02)

    # Not the bank costs (DBIT), the transfer still pending (PDNG), the one reversed (RvslInd).
    assert [t.amount for t in statement.transfers] == [
        Decimal("25.00"),
        Decimal("100.00"),
        Decimal("10.00"),
    ]
    assert statement.skipped == 3


def test_the_key_is_the_same_on_every_read_and_says_whose_account():
    for name in (RABOBANK_02, ING_08, BATCH_04, NO_REFERENCES_08, ABN_AMRO_MT940):
        first, second = read(name), read(name)
        keys = [t.key for t in first.transfers]

        assert keys == [t.key for t in second.transfers]
        assert len(set(keys)) == len(keys)
        assert all(len(key) <= KEY_MAX for key in keys)
        assert all(re.match(r"\d{4}-\d{2}-\d{2}:[0-9a-f]{64}(#\d+)?$", key) for key in keys)


def test_two_transfers_alike_on_one_day_are_told_apart_by_their_order():
    one, other = read(NO_REFERENCES_08).transfers

    assert (one.booked_on, one.amount, one.remittance, one.payer_name) == (
        other.booked_on,
        other.amount,
        other.remittance,
        other.payer_name,
    )
    assert other.key == one.key + "#2"


def test_the_key_is_the_same_from_camt053_and_mt940_and_from_a_longer_statement():
    """The same transfer read from another format, or from a statement covering more days,
    has the same key: the bank's reference and the place on the statement are not in it."""
    camt = read(RABOBANK_02).transfers[0]
    longer = sample(RABOBANK_02).replace(b"<Ntry>", b"<Ntry>", 1)
    earlier_day = longer.replace(
        b"<Ntry>",
        b"""<Ntry><Amt Ccy="EUR">9.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2024-02-29</Dt></BookgDt><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>X</Nm>
        </Dbtr></RltdPties></TxDtls></NtryDtls></Ntry><Ntry>""",
        1,
    )
    assert statement_read(earlier_day).transfers[1].key == camt.key
    mt940 = b""":20:RABO
:25:NL39RABO0300065264EUR
:28C:00061
:60F:C240229EUR1520,35
:61:240301C25,00N654NONREF
:86:/TRTP/SEPA OVERBOEKING/IBAN/NL83ABNA0561234567/BIC/ABNANL2A/NAME/J. de Vries/REMI/Gift
:62F:C240301EUR1545,35
-
"""
    assert statement_read(mt940).transfers[0].key == camt.key


def test_the_remittance_is_the_ustrd_lines_joined_with_whitespace_collapsed():
    assert read(RABOBANK_02).transfers[0].remittance == (
        "Gift voor de campagne bedankt voor jullie werk"
    )


def test_the_remittance_is_the_structured_creditor_reference():
    assert read(RABOBANK_02).transfers[1].remittance == "RF18539007547034"


def test_no_full_iban_is_in_what_is_read():
    for name in (RABOBANK_02, ING_08, BATCH_04, NO_REFERENCES_08, ABN_AMRO_MT940):
        text = repr(read(name))

        assert find_ibans(text) == [], name
        assert not [iban for iban in SAMPLE_IBANS if iban in text], name
    # The IBAN a payer typed in the description is masked too.
    assert read(RABOBANK_02).transfers[2].remittance == (
        "maandelijkse gift vanaf NL** **** **** 5678"
    )


def test_a_camt054_notification_is_refused_saying_what_it_is():
    message = refusal(sample(NOTIFICATION_054))

    assert "camt.054" in message
    assert "camt.053 day statement" in message


def test_a_camt053_version_beyond_13_is_refused():
    data = sample(ING_08).replace(b"camt.053.001.08", b"camt.053.001.14")

    assert "version 14" in refusal(data)


def test_broken_xml_is_refused():
    data = sample(RABOBANK_02)[:-200]

    assert "damaged or incomplete" in refusal(data)


def test_an_xml_bomb_is_refused():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol9;</Document>"""

    assert "was not read" in refusal(bomb)


def test_an_external_entity_is_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY x SYSTEM "file://{secret}">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>""".encode()

    message = refusal(xxe)
    assert "was not read" in message
    assert "top secret" not in message


def test_a_file_over_20_mb_is_refused():
    data = sample(RABOBANK_02) + b" " * MAX_BYTES

    assert "20 MB" in refusal(data)


def test_an_amount_that_cannot_be_read_is_refused():
    data = sample(RABOBANK_02).replace(
        b'<Amt Ccy="EUR">100.00</Amt>', b'<Amt Ccy="EUR">100,00</Amt>'
    )

    assert "“100,00” in this statement cannot be read" in refusal(data)


def test_a_file_that_is_not_a_statement_is_refused():
    assert "“giften.csv” is not a bank statement" in refusal(
        b"Datum;Naam;Bedrag\n2024-03-01;J. de Vries;25,00\n", "giften.csv"
    )
    assert "not a bank statement" in refusal(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    assert "not a bank statement" in refusal(b"<html><body>Sessie verlopen</body></html>")
    assert "empty" in refusal(b"  \n")


def test_an_mt940_file_is_read():
    statement = read(ABN_AMRO_MT940)

    assert statement.account_masked == "NL** **** **** 4300"  # :25: with the currency after it
    assert statement.skipped == 1  # the direct debit collected from us
    j_de_vries, buurtfonds, cash = statement.transfers
    assert j_de_vries == Transfer(
        key=j_de_vries.key,
        booked_on=datetime.date(2024, 3, 1),
        amount=Decimal("25.00"),
        currency="EUR",
        remittance="GIFT VOOR DE CAMPAGNE MAART",  # the /REMI/ part, cut across two lines
        end_to_end_id="",
        payer_name="J. DE VRIES",
        payer_iban_masked="NL** **** **** 4567",
        payer_iban_fingerprint=iban_fingerprint("NL83ABNA0561234567"),
    )
    assert (buurtfonds.remittance, buurtfonds.end_to_end_id) == (
        "RF18539007547034",
        "BFO-2024-0031",
    )
    assert buurtfonds.key.startswith("2024-03-01:")
    assert cash.remittance == "P. DE WIT AMSTERDAM GIFT VOOR HET JURIDISCH FONDS"  # free text
    assert (cash.payer_name, cash.payer_iban_masked, cash.payer_iban_fingerprint) == ("", "", "")


def test_an_ing_mt940_file_gives_the_payer_of_its_counterparty_field():
    data = b"""{1:F01INGBNL2ABXXX0000000000}
{2:I940INGBNL2AXXXN}
{4:
:20:P240304000000001
:25:NL69INGB0123456789EUR
:28C:00000
:60F:C240301EUR100,00
:61:240304C15,00NTRFEREF//00000000001005
/TRCD/00100/
:86:/EREF/2403041522334455//CNTP/NL61SNSB0987654321/SNSBNL2A/M. Jansen
///REMI/USTD//Donatie Digitale Vrijheid/
:62F:C240304EUR115,00
-}
"""
    (transfer,) = statement_read(data).transfers

    assert transfer.key.startswith("2024-03-04:")
    assert (transfer.payer_name, transfer.payer_iban_masked) == ("M. Jansen", "NL** **** **** 4321")
    assert transfer.remittance == "Donatie Digitale Vrijheid"
    assert transfer.end_to_end_id == "2403041522334455"


def test_an_mt940_line_that_cannot_be_parsed_is_refused():
    data = sample(ABN_AMRO_MT940).replace(b":61:2403010301C7,50", b":61:24XX010301C7,50")

    assert "does not follow the MT940 format" in refusal(data)


def test_a_statement_says_whose_account_it_is_without_the_number():
    rabobank = read(RABOBANK_02)
    assert statement_is_of(rabobank, "NL39 RABO 0300 0652 64")
    assert not statement_is_of(rabobank, "NL91ABNA0417164300")
    assert not statement_is_of(rabobank, "")
    abn = statement_read(
        b""":20:ABN AMRO BANK NV
:25:ABNANL2A/0417164300
:28:1
:60F:C240229EUR10,00
:61:2403010301C7,5N654NONREF
:86:SEPA OVERBOEKING IBAN: NL83ABNA0561234567 NAAM: J. DE VRIES OMSCHRIJVING: GIFT
:62F:C240301EUR17,50
-
"""
    )
    assert statement_is_of(abn, "NL91ABNA0417164300")  # by its account number
    (transfer,) = abn.transfers
    assert transfer.payer_iban_fingerprint == iban_fingerprint("NL83ABNA0561234567")  # free text


def test_control_characters_are_taken_out_of_names_and_descriptions():
    data = b""":20:ABN AMRO BANK NV
:25:ABNANL2A/0417164300
:28:1
:60F:C240229EUR10,00
:61:2403010301C7,5N654NONREF
:86:/IBAN/NL83ABNA0561234567/NAME/J. DE\x00 VRIES/REMI/GIFT\x01 VOOR JULLIE
:62F:C240301EUR17,50
-
"""
    (transfer,) = statement_read(data).transfers
    assert (transfer.payer_name, transfer.remittance) == ("J. DE VRIES", "GIFT VOOR JULLIE")
