"""donations/bank.py and the account holder's field: IBANs checked, masked and found in text;
mandate references; creditor identifiers."""

import re

import pytest
from django import forms

from donations.bank import (
    creditor_id_is_valid,
    find_ibans,
    iban_clean,
    iban_fingerprint,
    iban_masked,
    mandate_reference,
    mask_ibans,
    redact,
)
from donations.forms import AccountHolderField


def test_an_iban_is_taken_as_people_type_it_and_kept_masked():
    assert iban_clean(" nl91 abna 0417 1643 00 ") == "NL91ABNA0417164300"
    assert iban_masked("NL91ABNA0417164300") == "NL** **** **** 4300"
    assert iban_masked("DE89370400440532013000") == "DE** **** **** 3000"
    assert iban_fingerprint("nl91 abna 0417 1643 00") == iban_fingerprint("NL91ABNA0417164300")
    assert iban_fingerprint("NL91ABNA0417164300") != iban_fingerprint("DE89370400440532013000")


def test_every_way_of_writing_an_iban_is_masked_in_text():
    text = (
        "one NL91ABNA0417164300, two nl91 abna 0417 1643 00, "
        "three NL91\u00a0ABNA\u00a00417\u00a01643\u00a000, four NL91  ABNA  0417  1643  00."
    )
    masked = mask_ibans(text)
    assert masked.count("NL** **** **** 4300") == 4 and find_ibans(masked) == []
    assert find_ibans("NL92ABNA0417164300 is not one") == []  # check digits fail: left alone


def test_mollies_answers_are_stored_without_account_or_holder():
    answer = {
        "id": "tr_x",
        "details": {"consumerName": "A", "consumerAccount": "NL91ABNA0417164300"},
    }
    assert redact(answer)["details"] == {"consumerAccount": "NL** **** **** 4300"}
    paypal = {"details": {"consumerName": "A", "consumerAccount": "a@example.org"}}
    assert redact(paypal)["details"] == {"consumerAccount": "a@example.org"}


def test_mandate_references_fit_sepa_and_never_repeat(settings):
    settings.MANDATE_REFERENCE_PREFIX = "DRN"
    made = {mandate_reference() for _ in range(500)}
    assert len(made) == 500
    assert all(re.fullmatch(r"DRN-[A-Z0-9]{12}", ref) and len(ref) <= 35 for ref in made)


def test_creditor_identifiers_are_checked_by_their_check_digits():
    assert creditor_id_is_valid("NL08ZZZ502057730000")  # Mollie's
    assert creditor_id_is_valid("NL51ZZZ405365330000")
    assert not creditor_id_is_valid("NL98ZZZ999999999999")
    assert not creditor_id_is_valid("not one")


@pytest.mark.parametrize(
    "name",
    ["J. de Vries en/of M. Jansen", "J. & M. de Vries", "Stichting Vrienden (Utrecht)", "Zoë Ünal"],
)
def test_an_account_holder_may_be_two_people_or_an_organisation(name):
    assert AccountHolderField().clean(f"  {name} ") == name


@pytest.mark.parametrize("name", ["a", "<b>", "x_y", "tab\there" * 10])
def test_an_account_holder_is_refused_outside_sepas_characters(name):
    with pytest.raises(forms.ValidationError):
        AccountHolderField().clean(name)


@pytest.mark.parametrize(
    "written",
    [
        "NL91-ABNA-0417-1643-00",
        "NL91.ABNA.0417.1643.00",
        "IBANNL91ABNA0417164300",
        "NL91ABNA0417164300EUR",
        "NL91ABNA0417164300_gift",
        "nl91/abna/0417/1643/00",
        "gift van NL91 ABNA 0417 1643 00, bedankt",
        "NL 91 ABNA 0417 1643 00",
        "NL91 - ABNA - 0417 - 1643 - 00",
        "NL91\u2013ABNA\u20130417\u20131643\u201300",
        "NL91:ABNA:0417:1643:00",
        "NL91,ABNA,0417,1643,00",
        "NL91\u200bABNA\u200b0417\u200b1643\u200b00",
        "Nl91 abna 0417 1643 00",  # a phone capitalises the first letter
        "NL91 Abna 0417 1643 00",  # the bank's code written as a word
        "Nl91Abna0417164300",  # what a spreadsheet's PROPER() or Django's |title makes of it
    ],
)
def test_an_iban_written_with_any_separator_or_glued_to_words_is_masked(written):
    """A payer writes an account into a transfer's description any way they like; none of it
    may reach the database whole."""
    masked = mask_ibans(written)
    assert "0417" not in masked and "1643" not in masked, masked
    assert "NL** **** **** 4300" in masked
    assert find_ibans(written)


def test_whatever_passes_the_check_digits_is_masked_even_a_random_key():
    """Masking too much is the safe side: a stretch of a random key that passes an IBAN's check
    digits (about one key in 20,000) is masked in a log line like any account, since an account
    written in mixed case (`NL91 Abna …`) must be masked too."""
    assert mask_ibans("key qA41DPeDWU8mfzoQ856GxOdyk24J8") == "key QA** **** **** 24J8"
