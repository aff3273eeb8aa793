from rest_framework.routers import SimpleRouter

from . import api, api_broadcasts

app_name = "reviews-api"

router = SimpleRouter()
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("messages", api.MessageViewSet, basename="message")
router.register("broadcasts", api_broadcasts.BroadcastViewSet, basename="broadcast")

# Reviews in: `POST /api/v1/reviews` as the issue names it, with or without the trailing slash.
reviews_router = SimpleRouter()
reviews_router.trailing_slash = "/?"
reviews_router.register("reviews", api.ReceivedReviewViewSet, basename="review")

urlpatterns = router.urls + reviews_router.urls
