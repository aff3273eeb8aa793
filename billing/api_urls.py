app_name = "billing-api"

urlpatterns: list = []
