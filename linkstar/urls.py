from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import health

handler404 = "linkstar.errors.handler404"
handler500 = "linkstar.errors.handler500"

admin.site.site_header = "Linkstar back office"
admin.site.site_title = "Linkstar"

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("templates_review.api_urls")),
    path("", include("channels.api_urls")),
    path("", include("billing.api_urls")),
    path("", include("reviews.api_urls")),
    path("", include("insights.api_urls")),
    path("", include("inserts.api_urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The documentation viewers style themselves inline; scripts stay 'self' only.
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema")
        ),
        name="api-redoc",
    ),
    path("orders/", include("orders.urls")),
    path("templates/", include("templates_review.urls")),
    path("channels/", include("channels.urls")),
    path("billing/", include("billing.urls")),
    path("campaigns/", include("reviews.urls")),
    path("insights/", include("insights.urls")),
    path("", include("inserts.urls")),
    path("", include("accounts.urls")),
]
