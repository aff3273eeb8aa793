app_name = "templates_review-api"

urlpatterns: list = []
