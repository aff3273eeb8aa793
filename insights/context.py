"""Context processor: the unread notice count for the bell in the base layout."""


def notices(request):
    merchant = getattr(request, "merchant", None)
    if merchant is None or getattr(request, "membership", None) is None:
        return {}
    from .selectors import unread_count

    return {"unread_notices": unread_count(merchant)}
