from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/complete/", views.password_reset_complete, name="password_reset_complete"),
    path("language/", views.set_language, name="set_language"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("switch-merchant/", views.switch_merchant, name="switch_merchant"),
    path("settings/", views.merchant_settings, name="settings"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("settings/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
