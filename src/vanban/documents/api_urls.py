from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("documents", api.DocumentViewSet, basename="api-document")
router.register("document-types", api.DocumentTypeViewSet, basename="api-document-type")
urlpatterns = router.urls
