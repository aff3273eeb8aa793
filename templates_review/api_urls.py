from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import LintView, TemplateViewSet

app_name = "templates_review-api"

router = SimpleRouter(trailing_slash=False)
router.register("templates", TemplateViewSet, basename="template")

urlpatterns = [
    path("templates/lint", LintView.as_view(), name="lint"),
    *router.urls,
]
