from rest_framework.routers import SimpleRouter

from . import api, api_broadcasts

app_name = "reviews-api"

router = SimpleRouter()
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("messages", api.MessageViewSet, basename="message")
router.register("broadcasts", api_broadcasts.BroadcastViewSet, basename="broadcast")

urlpatterns = router.urls
