from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("exchange/documents", api.DocumentExchangeViewSet, basename="api-exchange-document")
router.register("exchange/arrivals", api.ArrivalViewSet, basename="api-arrival")
urlpatterns = router.urls
