"""The default card text in the buyers' languages: neutral (no incentive, no asking for a good review),
checked by the linter's "print" profile in tests. A merchant's approved "print" template replaces it."""

from __future__ import annotations

LANGUAGES = ["en", "zh-Hans", "de", "fr", "es", "ja"]

DEFAULT_TEXTS = {
    "en": {
        "headline": "Thank you for your order",
        "text": "Questions about your product, or something not right? Scan the code to get help from us. "
        "You can also share your honest opinion with other shoppers.",
        "scan": "Scan for help",
        "order": "Order",
    },
    "zh-Hans": {
        "headline": "感谢您的订购",
        "text": "对产品有疑问或遇到问题？扫描二维码，我们来帮您解决。您也可以与其他买家分享您真实的看法。",
        "scan": "扫码获取帮助",
        "order": "订单",
    },
    "de": {
        "headline": "Vielen Dank für Ihre Bestellung",
        "text": "Fragen zum Produkt oder stimmt etwas nicht? Scannen Sie den Code, wir helfen Ihnen gern. "
        "Sie können auch Ihre ehrliche Meinung mit anderen Käufern teilen.",
        "scan": "Scannen für Hilfe",
        "order": "Bestellung",
    },
    "fr": {
        "headline": "Merci pour votre commande",
        "text": "Une question sur votre produit ou un souci\u00a0? Scannez le code pour obtenir notre aide. "
        "Vous pouvez aussi partager votre avis sincère avec d'autres acheteurs.",
        "scan": "Scannez pour de l'aide",
        "order": "Commande",
    },
    "es": {
        "headline": "Gracias por su pedido",
        "text": "¿Preguntas sobre su producto o algo no va bien? Escanee el código y le ayudaremos. "
        "También puede compartir su opinión sincera con otros compradores.",
        "scan": "Escanee para recibir ayuda",
        "order": "Pedido",
    },
    "ja": {
        "headline": "ご注文ありがとうございます",
        "text": "商品についてのご質問や不具合はありませんか？コードを読み取ると、サポートにつながります。"
        "ほかのお客様に率直なご感想を共有することもできます。",
        "scan": "読み取ってサポートへ",
        "order": "注文番号",
    },
}

# The neutral card page, in the card's language.
LANDING_TEXTS = {
    "en": {"title": "How can we help?", "help": "Get help with your order", "review": "Leave a review"},
    "zh-Hans": {"title": "我们能为您做些什么？", "help": "获取订单帮助", "review": "撰写评价"},
    "de": {"title": "Wie können wir helfen?", "help": "Hilfe zu Ihrer Bestellung", "review": "Bewertung schreiben"},
    "fr": {"title": "Comment pouvons-nous vous aider\u00a0?", "help": "Obtenir de l'aide", "review": "Laisser un avis"},
    "es": {"title": "¿Cómo podemos ayudarle?", "help": "Obtener ayuda con su pedido", "review": "Dejar una opinión"},
    "ja": {"title": "どのようなご用件でしょうか？", "help": "ご注文についてのサポート", "review": "レビューを書く"},
}


def card_language(value: str | None) -> str:
    """One of LANGUAGES for a buyer's or store's language tag (zh, zh-CN, zh-hans → zh-Hans; else en)."""
    tag = (value or "").strip().replace("_", "-").lower()
    if tag.startswith("zh"):
        return "zh-Hans"
    base = tag.split("-")[0]
    return base if base in LANGUAGES else "en"
