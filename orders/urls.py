from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/delivered/", views.order_mark_delivered, name="mark_delivered"),
    path("stores/", views.store_list, name="stores"),
    path("stores/<int:pk>/", views.store_edit, name="store_edit"),
    path("buyers/<int:pk>/", views.buyer_detail, name="buyer"),
    path("buyers/<int:pk>/export/", views.buyer_export, name="buyer_export"),
    path("buyers/<int:pk>/erase/", views.buyer_erase, name="buyer_erase"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/errors.csv", views.import_errors, name="import_errors"),
]
