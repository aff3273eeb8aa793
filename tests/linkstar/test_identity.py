import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkstar.identity import InvalidAddress, email_hash, normalize_email, normalize_phone, phone_hash


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Buyer@Example.COM ", "buyer@example.com"),
        ("mailto:a.b+tag@gmail.com", "a.b+tag@gmail.com"),
        ("Ｂｕｙｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ", "buyer@example.com"),  # full-width forms
        ("käufer@bücher.de", "käufer@xn--bcher-kva.de"),
    ],
)
def test_emails_are_normalised(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "no-at-sign", "a@b", "@example.com", "a@@example.com", "a b@example.com", "a@.com"]
)
def test_impossible_emails_are_refused(raw):
    with pytest.raises(InvalidAddress):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("+1 415 555 2671", None, "+14155552671"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("0049 151 23456789", None, "+4915123456789"),
        ("138 0013 8000", "CN", "+8613800138000"),
        ("０１５１ ２３４５６７８９", "de", "+4915123456789"),
    ],
)
def test_phones_become_e164(raw, region, expected):
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(("raw", "region"), [("12", "US"), ("call me", "US"), ("0151 23456789", None), ("", "DE")])
def test_unreadable_phones_are_refused_with_a_reason(raw, region):
    with pytest.raises(InvalidAddress) as exc:
        normalize_phone(raw, region)
    assert str(exc.value)


def test_hashes_are_stable_per_merchant_and_differ_between_merchants():
    assert email_hash(1, "A@Example.com") == email_hash(1, "a@example.com ")
    assert email_hash(1, "a@example.com") != email_hash(2, "a@example.com")
    assert phone_hash(1, "(415) 555-2671", "US") == phone_hash(1, "+14155552671")
    assert "a@example.com" not in email_hash(1, "a@example.com")


local_parts = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=20)
domains = st.from_regex(r"[a-z0-9]{1,10}\.(com|de|cn|co\.uk)", fullmatch=True)


@given(local=local_parts, domain=domains, noise=st.sampled_from(["", " ", "  ", "\t"]))
def test_email_normalisation_is_idempotent_and_case_blind(local, domain, noise):
    address = f"{local}@{domain}"
    once = normalize_email(noise + address.upper() + noise)
    assert once == normalize_email(once)
    assert once == address.lower()


@given(national=st.integers(min_value=2012000000, max_value=9899999999))
def test_us_numbers_normalise_the_same_in_every_spelling(national):
    digits = str(national)
    try:
        e164 = normalize_phone(digits, "US")
    except InvalidAddress:
        return  # not every 10-digit string is a valid US number
    spelled = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    assert normalize_phone(spelled, "US") == e164
    assert normalize_phone(e164, None) == e164
    assert normalize_phone("001" + digits, None) == e164
