"""Printed insert cards: a PDF sheet read back (text, and each QR code decoded from a rendered page),
every QR code's signed URL counts a scan and redirects, texts in the buyer's language pass the linter."""

import io

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from inserts import hooks, selectors, services
from inserts.models import CardScan, InsertCard
from inserts.texts import DEFAULT_TEXTS, LANGUAGES, card_language
from templates_review.linting import lint
from tests.factories.orders import BuyerFactory, OrderFactory, StoreFactory
from tests.factories.templates_review import approved_version

pytestmark = pytest.mark.django_db


def qr_urls(pdf: bytes) -> list[str]:
    """Decode every QR code on every page, rendered at 200 dpi as a phone camera would see it."""
    urls = []
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        image = page.render(scale=200 / 72).to_pil()
        found = zxingcpp.read_barcodes(image)
        # top-to-bottom, left-to-right, the order cards are laid out in
        found.sort(key=lambda b: (round(b.position.top_left.y / 50), b.position.top_left.x))
        urls += [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode]
    return urls


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def orders(alice):
    store = StoreFactory(merchant=alice.merchant, name="Acme Outdoor", postal_address="1 Harbour Road\nSpringfield")
    languages = ["en", "zh-Hans", "de", "fr", "es", "ja", "en", "de", "fr"]  # nine: two pages
    return [
        OrderFactory(store=store, buyer=BuyerFactory(store=store, language=lang), number=f"#10{i:02d}")
        for i, lang in enumerate(languages)
    ]


def test_sheet_has_one_card_per_order_with_a_unique_qr_code_that_counts_and_redirects(alice, orders, client):
    batch = services.create_card_batch(merchant=alice.merchant, order_ids=[o.pk for o in orders])
    pdf = services.render_batch_pdf(batch=batch)

    assert pdf.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    urls = qr_urls(pdf)
    cards = list(InsertCard.objects.filter(batch=batch).order_by("position"))
    assert urls == [services.scan_url(card) for card in cards]
    assert len(set(urls)) == 9

    for url, card in zip(urls, cards, strict=True):
        path = url.removeprefix("http://testserver")
        response = client.get(path, HTTP_USER_AGENT="Mozilla/5.0 (iPhone) canary-ua")
        assert response.status_code == 302
        # a card printed for an order opens the campaigns app's help page for that order (reviews' scan hook)
        assert response["Location"].startswith("http://testserver/campaigns/h/")
        page = client.get(response["Location"].removeprefix("http://testserver"))
        assert page.status_code == 200 and card.order.display_number in page.content.decode()
    assert CardScan.objects.filter(merchant=alice.merchant).count() == 9
    assert selectors.scan_counts(merchant=alice.merchant) == {"cards": 9, "scans": 9, "scanned_cards": 9}
    assert selectors.scans_by_message_ref(message_refs=[cards[0].message_ref]) == {cards[0].message_ref: 1}


def test_cards_speak_each_buyers_language_and_show_order_and_address(alice, orders):
    batch = services.create_card_batch(merchant=alice.merchant, order_ids=[o.pk for o in orders[:6]])
    text = pdf_text(services.render_batch_pdf(batch=batch))
    latin, cjk = " ".join(text.split()), text.replace("\n", "")  # lines are wrapped on the card
    for lang in ("en", "de", "fr", "es"):
        assert DEFAULT_TEXTS[lang]["headline"] in latin
    assert DEFAULT_TEXTS["zh-Hans"]["headline"] in cjk  # STSong-Light, read back as Unicode
    assert DEFAULT_TEXTS["ja"]["headline"] in cjk  # HeiseiKakuGo-W5
    assert DEFAULT_TEXTS["zh-Hans"]["text"] in cjk
    assert "#1000" in text and "1 Harbour Road" in text
    assert [c.language for c in batch.cards.order_by("position")] == LANGUAGES


def test_default_card_texts_pass_the_print_profile_in_every_language():
    for lang, words in DEFAULT_TEXTS.items():
        result = lint(channel="print", subject=words["headline"], body_text=words["text"], locale=lang)
        assert not result.findings, (lang, result.as_dict())


def test_an_approved_print_template_replaces_the_default_text(alice, orders, reviewer):
    approved_version(
        reviewer=reviewer,
        template__merchant=alice.merchant,
        template__channel="print",
        template__purpose="delivery_followup",
        template__locale="en",
        subject="Hello {{ buyer.first_name }}",
        body_text="Thanks for choosing {{ store.name }}. Scan the code if you need anything.",
    )
    batch = services.create_card_batch(merchant=alice.merchant, order_ids=[orders[0].pk])
    card = batch.cards.get()
    assert card.text == "Thanks for choosing Acme Outdoor. Scan the code if you need anything."
    assert card.headline.startswith("Hello")


def test_incentive_wording_never_reaches_a_card(alice, orders, monkeypatch):
    from inserts import texts

    monkeypatch.setitem(
        texts.DEFAULT_TEXTS, "en", {**texts.DEFAULT_TEXTS["en"], "text": "Leave a 5-star review and get a free gift!"}
    )
    with pytest.raises(Exception, match="incentive.review"):
        services.create_card_batch(merchant=alice.merchant, order_ids=[orders[0].pk])
    assert not InsertCard.objects.exists()


def test_store_wide_sheet_has_unique_codes_and_the_chosen_language(alice, client):
    store = StoreFactory(merchant=alice.merchant)
    batch = services.create_card_batch(merchant=alice.merchant, store=store, copies=3, language="ja")
    urls = qr_urls(services.render_batch_pdf(batch=batch))
    assert len(set(urls)) == 3
    assert {c.language for c in batch.cards.all()} == {"ja"}


def test_forged_or_unknown_tokens_are_not_found_and_count_nothing(alice, orders, client):
    batch = services.create_card_batch(merchant=alice.merchant, order_ids=[orders[0].pk])
    token = batch.cards.get().token
    random_part = token.split(":")[0]
    assert client.get(f"/c/{random_part}:forgedsignature").status_code == 404
    assert client.get("/c/nothing").status_code == 404
    assert not CardScan.objects.exists()


def test_merchants_help_page_then_a_registered_hook_take_over_the_redirect(alice, orders, client):
    batch = services.create_card_batch(merchant=alice.merchant, order_ids=[orders[0].pk])
    card = batch.cards.get()
    services.save_card_settings(
        merchant=alice.merchant, postal_address="", help_url="https://help.acme.example/", review_url=""
    )
    assert client.get(f"/c/{card.token}")["Location"] == "https://help.acme.example/"

    def insights(c):
        return f"https://linkstar.example/help/{c.message_ref}"

    hooks.register_scan_target(insights)
    try:
        assert client.get(f"/c/{card.token}")["Location"] == f"https://linkstar.example/help/{card.message_ref}"
    finally:
        hooks.unregister_scan_target(insights)
    assert CardScan.objects.filter(card=card).count() == 2


def test_neutral_page_offers_the_same_links_to_everyone_in_the_cards_language(alice, orders, client):
    services.save_card_settings(
        merchant=alice.merchant,
        postal_address="1 Harbour Road",
        help_url="https://help.acme.example/",
        review_url="https://www.amazon.com/review/create-review",
    )
    batch = services.create_card_batch(merchant=alice.merchant, order_ids=[orders[2].pk])  # a German buyer
    page = client.get(f"/c/{batch.cards.get().token}/help")
    body = page.content.decode()
    assert page.status_code == 200 and page["Content-Language"] == "de"
    assert "Hilfe zu Ihrer Bestellung" in body and "Bewertung schreiben" in body
    assert "https://www.amazon.com/review/create-review" in body


def test_another_merchants_orders_are_unknown(alice, bob):
    theirs = OrderFactory(store=StoreFactory(merchant=bob.merchant))
    with pytest.raises(Exception, match="Unknown orders"):
        services.create_card_batch(merchant=alice.merchant, order_ids=[theirs.pk])


def test_api_answers_a_pdf_for_orders_and_refuses_bad_input(alice, orders, api_a, bob):
    response = api_a.post("/api/v1/insert-cards", {"orders": [orders[0].pk, orders[1].pk]}, format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert len(qr_urls(response.content)) == 2

    theirs = OrderFactory(store=StoreFactory(merchant=bob.merchant))
    refused = api_a.post("/api/v1/insert-cards", {"orders": [theirs.pk]}, format="json")
    assert refused.status_code == 400
    assert "orders" in refused.json()["errors"]
    other_store = StoreFactory(merchant=bob.merchant)
    assert api_a.post("/api/v1/insert-cards", {"store": other_store.pk}, format="json").status_code == 404


def test_page_makes_a_sheet_from_order_numbers_and_downloads_it(alice, orders, client_a):
    response = client_a.post("/inserts/", {"action": "orders", "o-orders": "#1000\n1001\n", "o-language": ""})
    assert response.status_code == 302
    page = client_a.get("/inserts/")
    assert b"Download PDF" in page.content
    batch = selectors.batches_of(alice.merchant).first()
    assert batch.card_count == 2
    pdf = client_a.get(f"/inserts/sheets/{batch.pk}/cards.pdf")
    assert pdf["Content-Type"] == "application/pdf" and len(qr_urls(pdf.content)) == 2


def test_logo_upload_is_checked_and_printed(alice, client_a, orders):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 300), (200, 30, 30)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "logo.png"
    response = client_a.post(
        "/inserts/settings/", {"logo": buffer, "postal_address": "1 Harbour Road", "help_url": "", "review_url": ""}
    )
    assert response.status_code == 302
    logo = services.settings_of(alice.merchant).logo
    assert Image.open(io.BytesIO(bytes(logo))).size == (600, 150)
    bad = io.BytesIO(b"not an image")
    bad.name = "logo.png"
    refused = client_a.post("/inserts/settings/", {"logo": bad, "postal_address": "", "help_url": "", "review_url": ""})
    assert refused.status_code == 200 and "PNG or JPEG" in refused.content.decode()
    batch = services.create_card_batch(merchant=alice.merchant, order_ids=[orders[0].pk])
    reader = PdfReader(io.BytesIO(services.render_batch_pdf(batch=batch)))
    assert reader.pages[0].images  # the logo is on the card


@pytest.mark.parametrize(
    ("tag", "expected"), [("zh-CN", "zh-Hans"), ("zh-hans", "zh-Hans"), ("de-AT", "de"), ("pt", "en"), ("", "en")]
)
def test_card_language_of_a_buyers_tag(tag, expected):
    assert card_language(tag) == expected
