from rest_framework.routers import SimpleRouter

from . import api

app_name = "channels-api"

router = SimpleRouter()
router.register("channels/accounts", api.AccountViewSet, basename="account")
router.register("channels/suppressions", api.SuppressionViewSet, basename="suppression")
router.register("channels/events", api.EventViewSet, basename="event")

urlpatterns = router.urls
