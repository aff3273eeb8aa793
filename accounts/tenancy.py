"""Tenant scoping in one place.

Every merchant-owned model inherits `MerchantOwned` (a `merchant` foreign key
and a `for_merchant` queryset method). Views and viewsets take the merchant
from the request (see accounts.middleware and accounts.api), never from the
URL or the body, and look objects up through `for_merchant`, so another
merchant's object is simply not found (404).
"""

from __future__ import annotations

from django.db import models


class MerchantScopedQuerySet(models.QuerySet):
    def for_merchant(self, merchant) -> MerchantScopedQuerySet:
        if merchant is None:
            return self.none()
        return self.filter(merchant=merchant)


MerchantScopedManager = models.Manager.from_queryset(MerchantScopedQuerySet)


class MerchantOwned(models.Model):
    merchant = models.ForeignKey(
        "accounts.Merchant",
        on_delete=models.CASCADE,
        related_name="%(app_label)s_%(class)s_set",
    )

    objects = MerchantScopedManager()

    class Meta:
        abstract = True
