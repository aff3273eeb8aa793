app_name = "templates_review"

urlpatterns: list = []
