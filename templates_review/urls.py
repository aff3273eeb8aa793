from django.urls import path

from . import views

app_name = "templates_review"

urlpatterns = [
    path("", views.template_list, name="list"),
    path("new/", views.template_new, name="new"),
    path("preview/", views.preview, name="preview"),
    path("library/", views.starter_library, name="starters"),
    path("library/<slug:key>/copy/", views.starter_copy, name="starter_copy"),
    path("<int:pk>/", views.template_edit, name="edit"),
]
