from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("agencies", api.AgencyViewSet, basename="api-agency")
router.register("people", api.PersonViewSet, basename="api-person")
urlpatterns = router.urls
