from tests.tenancy import Route

ROUTES = [
    Route("inserts:cards", "list"),
    Route("inserts:settings", "public", why="the session merchant's own card settings; names no object"),
    Route("inserts:batch_pdf", "object", kwargs=lambda w: {"pk": w.bob.objects["card_batch"].pk}),
    Route(
        "inserts:scan",
        "public",
        why="a buyer's scan of a printed card: a signed random token (django.core.signing, own salt); "
        "a forged or unknown token is a 404 (tests/inserts/test_cards.py)",
    ),
    Route("inserts:landing", "public", why="the neutral card page of one signed card token; shows no buyer data"),
    Route(
        "inserts-api:cards",
        "public",
        why="makes cards only from the key's own orders and stores: another merchant's order ids are unknown "
        "(400) and their store a 404 (tests/inserts/test_cards.py)",
    ),
]
