from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("signing/documents", api.DocumentSignatureViewSet, basename="api-document-signatures")
urlpatterns = router.urls
