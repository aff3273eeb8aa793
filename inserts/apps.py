from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsertsConfig(AppConfig):
    name = "inserts"
    verbose_name = _("Insert cards")
