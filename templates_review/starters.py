# ruff: noqa: E501  (message texts read better unwrapped)
"""The starter library: neutral, approved-style review requests, fulfilment notices and a repeat-purchase
broadcast that merchants can copy.

Each asks every buyer the same way for an honest review, offers help separately and
carries what the channel needs (unsubscribe link and postal address for email, brand
and STOP wording for SMS, nothing external for Amazon). A test lints every one of them.
"""

from __future__ import annotations

_FOOTER = {
    "en": "{{ store.name }} · {{ store.postal_address }}\nUnsubscribe: {{ unsubscribe_link }}",
    "de": "{{ store.name }} · {{ store.postal_address }}\nAbmelden: {{ unsubscribe_link }}",
    "fr": "{{ store.name }} · {{ store.postal_address }}\nSe désabonner : {{ unsubscribe_link }}",
    "es": "{{ store.name }} · {{ store.postal_address }}\nDarse de baja: {{ unsubscribe_link }}",
    "it": "{{ store.name }} · {{ store.postal_address }}\nAnnulla iscrizione: {{ unsubscribe_link }}",
    "ja": "{{ store.name }}・{{ store.postal_address }}\n配信停止：{{ unsubscribe_link }}",
    "pt": "{{ store.name }} · {{ store.postal_address }}\nCancelar inscrição: {{ unsubscribe_link }}",
    "nl": "{{ store.name }} · {{ store.postal_address }}\nAfmelden: {{ unsubscribe_link }}",
    "zh-Hans": "{{ store.name }} · {{ store.postal_address }}\n退订：{{ unsubscribe_link }}",
    "pl": "{{ store.name }} · {{ store.postal_address }}\nWypisz się: {{ unsubscribe_link }}",
    "sv": "{{ store.name }} · {{ store.postal_address }}\nAvsluta prenumeration: {{ unsubscribe_link }}",
}

_EMAIL = {
    "en": (
        "How is your order {{ order.number }}?",
        "Hi {{ buyer.first_name }},\n\nThank you for your order {{ order.number }}. We hope it arrived safely.\n\n"
        "Would you share your honest opinion? A short review helps other shoppers decide: {{ review_link }}\n\n"
        "If anything is not right with your order, we are here to help: {{ support_link }}\n\n"
        "Thank you,\n",
    ),
    "de": (
        "Wie gefällt Ihnen Ihre Bestellung {{ order.number }}?",
        "Hallo {{ buyer.first_name }},\n\nvielen Dank für Ihre Bestellung {{ order.number }}. Wir hoffen, sie ist gut angekommen.\n\n"
        "Würden Sie Ihre ehrliche Meinung teilen? Eine kurze Bewertung hilft anderen Kunden bei der Entscheidung: {{ review_link }}\n\n"
        "Falls mit Ihrer Bestellung etwas nicht stimmt, helfen wir gerne: {{ support_link }}\n\n"
        "Vielen Dank,\n",
    ),
    "fr": (
        "Que pensez-vous de votre commande {{ order.number }} ?",
        "Bonjour {{ buyer.first_name }},\n\nMerci pour votre commande {{ order.number }}. Nous espérons qu'elle est bien arrivée.\n\n"
        "Accepteriez-vous de partager votre avis sincère ? Un court commentaire aide les autres clients à choisir : {{ review_link }}\n\n"
        "Si quelque chose ne va pas avec votre commande, nous sommes là pour vous aider : {{ support_link }}\n\n"
        "Merci,\n",
    ),
    "es": (
        "¿Qué tal su pedido {{ order.number }}?",
        "Hola {{ buyer.first_name }}:\n\nGracias por su pedido {{ order.number }}. Esperamos que haya llegado bien.\n\n"
        "¿Nos daría su opinión sincera? Una breve reseña ayuda a otros compradores a decidir: {{ review_link }}\n\n"
        "Si algo no está bien con su pedido, estamos aquí para ayudarle: {{ support_link }}\n\n"
        "Gracias,\n",
    ),
    "it": (
        "Com'è andato il tuo ordine {{ order.number }}?",
        "Ciao {{ buyer.first_name }},\n\ngrazie per il tuo ordine {{ order.number }}. Speriamo che sia arrivato senza problemi.\n\n"
        "Ci racconteresti la tua opinione sincera? Una breve recensione aiuta gli altri clienti a scegliere: {{ review_link }}\n\n"
        "Se qualcosa non va con il tuo ordine, siamo qui per aiutarti: {{ support_link }}\n\n"
        "Grazie,\n",
    ),
    "ja": (
        "ご注文 {{ order.number }} はいかがでしたか？",
        "{{ buyer.last_name }} 様\n\nこのたびはご注文 {{ order.number }} をいただき、誠にありがとうございます。無事にお届けできていれば幸いです。\n\n"
        "率直なご感想をお聞かせいただけませんか。短いレビューでも、ほかのお客様の参考になります：{{ review_link }}\n\n"
        "ご注文に何か問題がございましたら、こちらからお問い合わせください：{{ support_link }}\n\n"
        "よろしくお願いいたします。\n",
    ),
    "pt": (
        "Como está o seu pedido {{ order.number }}?",
        "Olá {{ buyer.first_name }},\n\nObrigado pelo seu pedido {{ order.number }}. Esperamos que tenha chegado bem.\n\n"
        "Poderia partilhar a sua opinião sincera? Uma breve avaliação ajuda outros clientes a decidir: {{ review_link }}\n\n"
        "Se algo não estiver bem com o seu pedido, estamos aqui para ajudar: {{ support_link }}\n\n"
        "Obrigado,\n",
    ),
    "nl": (
        "Hoe bevalt uw bestelling {{ order.number }}?",
        "Hallo {{ buyer.first_name }},\n\nBedankt voor uw bestelling {{ order.number }}. We hopen dat alles goed is aangekomen.\n\n"
        "Wilt u uw eerlijke mening delen? Een korte review helpt andere klanten bij hun keuze: {{ review_link }}\n\n"
        "Is er iets niet in orde met uw bestelling? We helpen u graag: {{ support_link }}\n\n"
        "Met vriendelijke groet,\n",
    ),
    "zh-Hans": (
        "您的订单 {{ order.number }} 还好吗？",
        "{{ buyer.name }}，您好：\n\n感谢您的订单 {{ order.number }}，希望商品已安全送达。\n\n"
        "能否分享您真实的使用感受？一条简短的评价可以帮助其他买家做出选择：{{ review_link }}\n\n"
        "如果订单有任何问题，我们随时为您提供帮助：{{ support_link }}\n\n"
        "谢谢！\n",
    ),
    "pl": (
        "Jak oceniasz zamówienie {{ order.number }}?",
        "Dzień dobry {{ buyer.first_name }},\n\ndziękujemy za zamówienie {{ order.number }}. Mamy nadzieję, że dotarło bezpiecznie.\n\n"
        "Czy zechcesz podzielić się szczerą opinią? Krótka recenzja pomaga innym kupującym w wyborze: {{ review_link }}\n\n"
        "Jeśli coś jest nie tak z zamówieniem, chętnie pomożemy: {{ support_link }}\n\n"
        "Dziękujemy,\n",
    ),
    "sv": (
        "Hur var din beställning {{ order.number }}?",
        "Hej {{ buyer.first_name }},\n\ntack för din beställning {{ order.number }}. Vi hoppas att den kom fram som den skulle.\n\n"
        "Vill du dela din ärliga åsikt? En kort recension hjälper andra kunder att välja: {{ review_link }}\n\n"
        "Om något inte stämmer med din beställning hjälper vi gärna till: {{ support_link }}\n\n"
        "Tack,\n",
    ),
}

_SMS = {
    "en": "{{ store.name }}: Hi {{ buyer.first_name }}, how is your order? An honest review helps others: {{ review_link }} Reply STOP to opt out",
    "de": "{{ store.name }}: Hallo {{ buyer.first_name }}, wie gefällt Ihnen Ihre Bestellung? Ihre ehrliche Bewertung: {{ review_link }} STOP zum Abmelden",
    "fr": "{{ store.name }} : Bonjour {{ buyer.first_name }}, votre commande vous convient ? Votre avis sincère : {{ review_link }} STOP pour vous désinscrire",
    "es": "{{ store.name }}: Hola {{ buyer.first_name }}, ¿qué tal su pedido? Su opinión sincera: {{ review_link }} Responda BAJA para no recibir más",
    "it": "{{ store.name }}: Ciao {{ buyer.first_name }}, com'è il tuo ordine? La tua recensione sincera: {{ review_link }} Rispondi STOP per annullare",
    "ja": "{{ store.name }}：ご注文はいかがでしたか。率直なレビューをお寄せください {{ review_link }} 配信停止はSTOPと返信",
    "pt": "{{ store.name }}: Olá {{ buyer.first_name }}, como está o seu pedido? A sua avaliação sincera: {{ review_link }} Responda SAIR para cancelar",
    "nl": "{{ store.name }}: Hallo {{ buyer.first_name }}, hoe bevalt uw bestelling? Uw eerlijke review: {{ review_link }} Antwoord STOP om af te melden",
    "zh-Hans": "【{{ store.name }}】您的订单还好吗？欢迎留下真实评价：{{ review_link }} 回复TD退订",
    "pl": "{{ store.name }}: Dzień dobry, jak oceniasz zamówienie? Twoja szczera opinia: {{ review_link }} Odpowiedz STOP, aby zrezygnować",
    "sv": "{{ store.name }}: Hej {{ buyer.first_name }}, hur var din beställning? Din ärliga recension: {{ review_link }} Svara STOPP för att avsluta",
}

_AMAZON = {
    "en": (
        "Your order {{ order.number }}",
        "Hello {{ buyer.first_name }},\n\nThank you for your order {{ order.number }}. We hope everything arrived as expected.\n\n"
        "If you have a moment, you can share your honest experience in a review on Amazon from your Orders page.\n\n"
        "If you have any question about your order, simply reply to this message.\n\n{{ store.name }}",
    ),
    "de": (
        "Ihre Bestellung {{ order.number }}",
        "Hallo {{ buyer.first_name }},\n\nvielen Dank für Ihre Bestellung {{ order.number }}. Wir hoffen, alles ist wie erwartet angekommen.\n\n"
        "Wenn Sie einen Moment Zeit haben, können Sie Ihre ehrliche Erfahrung in einer Bewertung auf Amazon über Ihre Bestellübersicht teilen.\n\n"
        "Bei Fragen zu Ihrer Bestellung antworten Sie einfach auf diese Nachricht.\n\n{{ store.name }}",
    ),
    "ja": (
        "ご注文 {{ order.number }} について",
        "{{ buyer.last_name }} 様\n\nご注文 {{ order.number }} をいただき、ありがとうございました。商品が無事に届いていれば幸いです。\n\n"
        "お時間があれば、Amazonの注文履歴からレビューで率直なご感想をお寄せいただけます。\n\n"
        "ご注文についてご質問があれば、このメッセージにご返信ください。\n\n{{ store.name }}",
    ),
}


# Fulfilment notices (transactional: no opt-out link needed, still signed with the store's address), one
# subject and body per purpose and language. They inform; they never ask for a review.
_NOTICE_FOOTER = {
    "en": "{{ store.name }} · {{ store.postal_address }}",
    "de": "{{ store.name }} · {{ store.postal_address }}",
    "fr": "{{ store.name }} · {{ store.postal_address }}",
    "es": "{{ store.name }} · {{ store.postal_address }}",
    "ja": "{{ store.name }}・{{ store.postal_address }}",
    "zh-Hans": "{{ store.name }} · {{ store.postal_address }}",
}
_NOTICE_NAMES = {
    "order_shipped": "Shipped notice (email)",
    "out_for_delivery": "Out for delivery (email)",
    "delivery_exception": "Delivery problem (email)",
    "returned_to_sender": "Returned to sender (email)",
}
_NOTICES = {
    "order_shipped": {
        "en": (
            "Your order {{ order.number }} is on its way",
            "Hi {{ buyer.first_name }},\n\nGood news: your order {{ order.number }} has shipped with {{ order.carrier }}.\n\n"
            "Tracking number: {{ order.tracking_number }}\nFollow your parcel: {{ tracking_link }}\n\n"
            "Questions about your order? We are here to help: {{ support_link }}\n\n",
        ),
        "de": (
            "Ihre Bestellung {{ order.number }} ist unterwegs",
            "Hallo {{ buyer.first_name }},\n\nIhre Bestellung {{ order.number }} wurde mit {{ order.carrier }} versandt.\n\n"
            "Sendungsnummer: {{ order.tracking_number }}\nSendung verfolgen: {{ tracking_link }}\n\n"
            "Fragen zu Ihrer Bestellung? Wir helfen gerne: {{ support_link }}\n\n",
        ),
        "fr": (
            "Votre commande {{ order.number }} est en route",
            "Bonjour {{ buyer.first_name }},\n\nVotre commande {{ order.number }} a été expédiée avec {{ order.carrier }}.\n\n"
            "Numéro de suivi : {{ order.tracking_number }}\nSuivre votre colis : {{ tracking_link }}\n\n"
            "Une question sur votre commande ? Nous sommes là pour vous aider : {{ support_link }}\n\n",
        ),
        "es": (
            "Su pedido {{ order.number }} está en camino",
            "Hola {{ buyer.first_name }}:\n\nSu pedido {{ order.number }} se ha enviado con {{ order.carrier }}.\n\n"
            "Número de seguimiento: {{ order.tracking_number }}\nSiga su paquete: {{ tracking_link }}\n\n"
            "¿Tiene alguna pregunta sobre su pedido? Estamos aquí para ayudarle: {{ support_link }}\n\n",
        ),
        "ja": (
            "ご注文 {{ order.number }} を発送しました",
            "{{ buyer.last_name }} 様\n\nご注文 {{ order.number }} を {{ order.carrier }} にて発送いたしました。\n\n"
            "追跡番号：{{ order.tracking_number }}\n配送状況の確認：{{ tracking_link }}\n\n"
            "ご注文についてのお問い合わせはこちら：{{ support_link }}\n\n",
        ),
        "zh-Hans": (
            "您的订单 {{ order.number }} 已发货",
            "{{ buyer.name }}，您好：\n\n您的订单 {{ order.number }} 已通过 {{ order.carrier }} 发货。\n\n"
            "运单号：{{ order.tracking_number }}\n查看物流：{{ tracking_link }}\n\n"
            "如对订单有任何疑问，欢迎联系我们：{{ support_link }}\n\n",
        ),
    },
    "out_for_delivery": {
        "en": (
            "Your order {{ order.number }} arrives today",
            "Hi {{ buyer.first_name }},\n\nYour order {{ order.number }} is out for delivery and should reach you today.\n\n"
            "Follow your parcel: {{ tracking_link }}\n\n",
        ),
        "de": (
            "Ihre Bestellung {{ order.number }} kommt heute",
            "Hallo {{ buyer.first_name }},\n\nIhre Bestellung {{ order.number }} ist in der Zustellung und sollte heute ankommen.\n\n"
            "Sendung verfolgen: {{ tracking_link }}\n\n",
        ),
        "fr": (
            "Votre commande {{ order.number }} arrive aujourd'hui",
            "Bonjour {{ buyer.first_name }},\n\nVotre commande {{ order.number }} est en cours de livraison et devrait arriver aujourd'hui.\n\n"
            "Suivre votre colis : {{ tracking_link }}\n\n",
        ),
        "es": (
            "Su pedido {{ order.number }} llega hoy",
            "Hola {{ buyer.first_name }}:\n\nSu pedido {{ order.number }} está en reparto y debería llegar hoy.\n\n"
            "Siga su paquete: {{ tracking_link }}\n\n",
        ),
        "ja": (
            "ご注文 {{ order.number }} は本日お届け予定です",
            "{{ buyer.last_name }} 様\n\nご注文 {{ order.number }} は配達中で、本日お届けの予定です。\n\n"
            "配送状況の確認：{{ tracking_link }}\n\n",
        ),
        "zh-Hans": (
            "您的订单 {{ order.number }} 今天派送",
            "{{ buyer.name }}，您好：\n\n您的订单 {{ order.number }} 正在派送中，预计今天送达。\n\n查看物流：{{ tracking_link }}\n\n",
        ),
    },
    "delivery_exception": {
        "en": (
            "A delivery problem with your order {{ order.number }}",
            "Hi {{ buyer.first_name }},\n\nThe carrier reports a problem delivering your order {{ order.number }}. "
            "Please check the latest status: {{ tracking_link }}\n\n"
            "We are on it. If you need help or want to update your address, contact us: {{ support_link }}\n\n",
        ),
        "de": (
            "Ein Zustellproblem bei Ihrer Bestellung {{ order.number }}",
            "Hallo {{ buyer.first_name }},\n\nder Zusteller meldet ein Problem bei der Zustellung Ihrer Bestellung {{ order.number }}. "
            "Den aktuellen Stand sehen Sie hier: {{ tracking_link }}\n\n"
            "Wir kümmern uns darum. Wenn Sie Hilfe brauchen oder Ihre Adresse ändern möchten, schreiben Sie uns: {{ support_link }}\n\n",
        ),
        "fr": (
            "Un problème de livraison pour votre commande {{ order.number }}",
            "Bonjour {{ buyer.first_name }},\n\nLe transporteur signale un problème de livraison pour votre commande {{ order.number }}. "
            "Consultez le dernier statut : {{ tracking_link }}\n\n"
            "Nous nous en occupons. Pour obtenir de l'aide ou modifier votre adresse, contactez-nous : {{ support_link }}\n\n",
        ),
        "es": (
            "Un problema con la entrega de su pedido {{ order.number }}",
            "Hola {{ buyer.first_name }}:\n\nLa empresa de transporte informa de un problema con la entrega de su pedido {{ order.number }}. "
            "Consulte el estado más reciente: {{ tracking_link }}\n\n"
            "Nos estamos ocupando. Si necesita ayuda o quiere actualizar su dirección, contáctenos: {{ support_link }}\n\n",
        ),
        "ja": (
            "ご注文 {{ order.number }} の配送に問題が発生しました",
            "{{ buyer.last_name }} 様\n\n配送業者より、ご注文 {{ order.number }} の配達に問題があるとの連絡がありました。"
            "最新の状況はこちらでご確認ください：{{ tracking_link }}\n\n"
            "現在対応中です。お困りの場合やお届け先の変更はこちらからご連絡ください：{{ support_link }}\n\n",
        ),
        "zh-Hans": (
            "您的订单 {{ order.number }} 派送遇到问题",
            "{{ buyer.name }}，您好：\n\n承运商反馈您的订单 {{ order.number }} 在派送中遇到问题。最新状态请查看：{{ tracking_link }}\n\n"
            "我们正在处理。如需帮助或更新收货地址，请联系我们：{{ support_link }}\n\n",
        ),
    },
    "returned_to_sender": {
        "en": (
            "Your order {{ order.number }} is being returned to us",
            "Hi {{ buyer.first_name }},\n\nThe carrier could not deliver your order {{ order.number }} and is returning it to us.\n\n"
            "Please contact us so we can arrange a new delivery or a refund: {{ support_link }}\n\n",
        ),
        "de": (
            "Ihre Bestellung {{ order.number }} geht an uns zurück",
            "Hallo {{ buyer.first_name }},\n\nder Zusteller konnte Ihre Bestellung {{ order.number }} nicht zustellen und schickt sie an uns zurück.\n\n"
            "Bitte melden Sie sich, damit wir eine neue Zustellung oder eine Erstattung veranlassen können: {{ support_link }}\n\n",
        ),
        "fr": (
            "Votre commande {{ order.number }} nous est retournée",
            "Bonjour {{ buyer.first_name }},\n\nLe transporteur n'a pas pu livrer votre commande {{ order.number }} et nous la retourne.\n\n"
            "Contactez-nous pour organiser une nouvelle livraison ou un remboursement : {{ support_link }}\n\n",
        ),
        "es": (
            "Su pedido {{ order.number }} nos está siendo devuelto",
            "Hola {{ buyer.first_name }}:\n\nLa empresa de transporte no pudo entregar su pedido {{ order.number }} y nos lo está devolviendo.\n\n"
            "Contáctenos para organizar una nueva entrega o un reembolso: {{ support_link }}\n\n",
        ),
        "ja": (
            "ご注文 {{ order.number }} が返送されています",
            "{{ buyer.last_name }} 様\n\nご注文 {{ order.number }} はお届けできず、当店へ返送されています。\n\n"
            "再配達または返金の手続きのため、こちらからご連絡ください：{{ support_link }}\n\n",
        ),
        "zh-Hans": (
            "您的订单 {{ order.number }} 正在退回",
            "{{ buyer.name }}，您好：\n\n承运商未能投递您的订单 {{ order.number }}，包裹正在退回给我们。\n\n"
            "请联系我们安排重新配送或退款：{{ support_link }}\n\n",
        ),
    },
}
# Repeat-purchase broadcast (marketing: unsubscribe link and postal address in the footer).
_BROADCAST = {
    "en": (
        "New at {{ store.name }}",
        "Hi {{ buyer.first_name }},\n\nThank you for shopping with us before. We have added new products you may like.\n\n"
        "Have a look: {{ support_link }}\n\n",
    ),
    "de": (
        "Neu bei {{ store.name }}",
        "Hallo {{ buyer.first_name }},\n\nvielen Dank für Ihre bisherigen Einkäufe. Wir haben neue Produkte, die Ihnen gefallen könnten.\n\n"
        "Schauen Sie vorbei: {{ support_link }}\n\n",
    ),
    "fr": (
        "Du nouveau chez {{ store.name }}",
        "Bonjour {{ buyer.first_name }},\n\nMerci pour vos achats précédents. Nous avons de nouveaux produits qui pourraient vous plaire.\n\n"
        "Découvrez-les : {{ support_link }}\n\n",
    ),
    "es": (
        "Novedades en {{ store.name }}",
        "Hola {{ buyer.first_name }}:\n\nGracias por sus compras anteriores. Tenemos productos nuevos que podrían gustarle.\n\n"
        "Échele un vistazo: {{ support_link }}\n\n",
    ),
    "ja": (
        "{{ store.name }} の新商品のお知らせ",
        "{{ buyer.last_name }} 様\n\nいつもご利用いただきありがとうございます。新しい商品が入荷しました。\n\n"
        "ぜひご覧ください：{{ support_link }}\n\n",
    ),
    "zh-Hans": (
        "{{ store.name }} 上新了",
        "{{ buyer.name }}，您好：\n\n感谢您一直以来的支持。我们上架了一些您可能喜欢的新商品。\n\n欢迎查看：{{ support_link }}\n\n",
    ),
}


def _starters() -> list[dict]:
    out = []
    for locale, (subject, body) in _EMAIL.items():
        out.append(
            {
                "key": f"review-email-{locale}",
                "name": "Review request (email)",
                "purpose": "review_request",
                "channel": "email",
                "marketplace": "own_site",
                "locale": locale,
                "subject": subject,
                "body_text": body + _FOOTER[locale],
                "body_html": "",
            }
        )
    for locale, body in _SMS.items():
        out.append(
            {
                "key": f"review-sms-{locale}",
                "name": "Review request (SMS)",
                "purpose": "review_request",
                "channel": "sms",
                "marketplace": "own_site",
                "locale": locale,
                "subject": "",
                "body_text": body,
                "body_html": "",
            }
        )
    for locale, (subject, body) in _AMAZON.items():
        out.append(
            {
                "key": f"review-amazon-{locale}",
                "name": "Review request (Amazon messaging)",
                "purpose": "review_request",
                "channel": "amazon_solicitation",
                "marketplace": "amazon",
                "locale": locale,
                "subject": subject,
                "body_text": body,
                "body_html": "",
            }
        )
    for purpose, by_locale in _NOTICES.items():
        for locale, (subject, body) in by_locale.items():
            out.append(
                {
                    "key": f"{purpose.replace('_', '-')}-email-{locale}",
                    "name": _NOTICE_NAMES[purpose],
                    "purpose": purpose,
                    "channel": "email",
                    "marketplace": "own_site",
                    "locale": locale,
                    "subject": subject,
                    "body_text": body + _NOTICE_FOOTER[locale],
                    "body_html": "",
                }
            )
    for locale, (subject, body) in _BROADCAST.items():
        out.append(
            {
                "key": f"broadcast-email-{locale}",
                "name": "Repeat-purchase broadcast (email)",
                "purpose": "broadcast",
                "channel": "email",
                "marketplace": "own_site",
                "locale": locale,
                "subject": subject,
                "body_text": body + _FOOTER[locale],
                "body_html": "",
            }
        )
    return out


STARTERS: list[dict] = _starters()
STARTERS_BY_KEY = {s["key"]: s for s in STARTERS}
