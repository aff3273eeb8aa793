from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TemplatesReviewConfig(AppConfig):
    name = "templates_review"
    verbose_name = _("Templates and review")
