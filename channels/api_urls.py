app_name = "channels-api"

urlpatterns: list = []
