"""Property tests: however a source spells a buyer's phone or email, the buyer is the same one."""

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar.identity import normalize_phone
from orders.parsing import ParseContext, parse_order

CTX = ParseContext(merchant_id=7, store_id=1, default_language="en", default_currency="USD", is_amazon=False)
REGIONS = ["US", "DE", "FR", "GB", "JP", "CN", "CA", "AU"]


def buyer_of(email=None, phone=None, country="US"):
    row = {"external_id": "P", "ship_to": {"country": country}, "buyer": {"email": email, "phone": phone}}
    parsed, errors = parse_order(row, CTX)
    assert not errors, errors
    return parsed.buyer


@st.composite
def valid_numbers(draw):
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    tail = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    number = phonenumbers.parse(f"+{example.country_code}{national[:-3]}{tail}")
    if not phonenumbers.is_valid_number(number):
        number = example
    return region, number


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(valid_numbers(), st.sampled_from(["E164", "INTERNATIONAL", "NATIONAL", "00"]), st.sampled_from(["", " ", "\t"]))
def test_every_spelling_of_a_phone_gives_one_e164_and_one_hash(case, style, pad):
    region, number = case
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if style == "00":
        spelled = "00" + e164[1:]
    else:
        spelled = phonenumbers.format_number(number, getattr(phonenumbers.PhoneNumberFormat, style))
    buyer = buyer_of(phone=pad + spelled + pad, country=region)
    assert buyer["phone"] == e164
    assert buyer["phone_hash"] == buyer_of(phone=e164, country=region)["phone_hash"]
    assert normalize_phone(buyer["phone"], None) == buyer["phone"]  # E.164 is a fixed point


local_parts = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=24).filter(
    lambda s: not s.startswith(".")
)
domains = st.from_regex(r"[a-z0-9]{1,12}\.(com|de|fr|co\.uk|co\.jp)", fullmatch=True)


@given(local_parts, domains, st.sampled_from(["", " ", "  "]), st.booleans())
def test_emails_are_one_identity_whatever_their_case_or_padding(local, domain, pad, upper):
    address = f"{local}@{domain}"
    spelled = pad + (address.upper() if upper else address) + pad
    buyer = buyer_of(email=spelled)
    assert buyer["email"] == address
    assert buyer["email_hash"] == buyer_of(email=address)["email_hash"]
    assert buyer["key"] == f"email:{buyer['email_hash']}"
    assert address not in buyer["email_hash"]


@given(st.text(alphabet="0123456789 -()", min_size=1, max_size=4))
def test_short_digit_strings_are_never_accepted_as_phones(raw):
    row = {"external_id": "P", "ship_to": {"country": "US"}, "buyer": {"phone": raw}}
    parsed, errors = parse_order(row, CTX)
    if raw.strip(" -()"):
        assert parsed is None and errors[0]["field"] == "buyer.phone"


@pytest.mark.parametrize(("raw", "code"), [("Germany", "DE"), ("德国", "DE"), ("United States", "US"), ("uk", "GB")])
def test_country_names_are_read_as_codes(raw, code):
    row = {"external_id": "C", "ship_to": {"country": raw}}
    parsed, errors = parse_order(row, CTX)
    assert not errors and parsed.order["ship_country"] == code
