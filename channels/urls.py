from django.urls import path

from . import views
from .webhooks import HOOKS

app_name = "channels"

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("accounts/new/<str:kind>/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/test/", views.account_test_send, name="account_test_send"),
    path("accounts/<int:pk>/status/", views.account_status, name="account_status"),
    path("accounts/<int:pk>/delete/", views.account_delete, name="account_delete"),
    path("suppressions/", views.suppression_list, name="suppressions"),
    path("suppressions/<int:pk>/remove/", views.suppression_remove, name="suppression_remove"),
    path("events/", views.event_list, name="events"),
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
    path("outbox/<int:pk>/html/", views.outbox_html, name="outbox_html"),
    # Buyers' side: signed links, no login.
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

# Providers' side: one URL per account and hook, verified by the account's own secret.
urlpatterns += [
    path(f"hooks/<uuid:token>/{provider}/{hook}/", view.as_view(), name=f"hook_{provider}_{hook}")
    for (provider, hook), view in HOOKS.items()
]
