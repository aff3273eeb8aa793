from rest_framework.routers import SimpleRouter

from . import api

app_name = "reviews-api"

router = SimpleRouter()
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("messages", api.MessageViewSet, basename="message")
router.register("reviews", api.ReceivedReviewViewSet, basename="review")

urlpatterns = router.urls
