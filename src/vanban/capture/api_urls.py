from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("capture/captures", api.CaptureViewSet, basename="api-capture")
urlpatterns = router.urls
