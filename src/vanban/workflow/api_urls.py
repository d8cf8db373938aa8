from importlib import import_module

from rest_framework.routers import DefaultRouter

from .api import assignment
from .areas import AREAS

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("workflow/assignments", assignment.AssignmentViewSet, basename="api-assignment")
# Each area's api module registers its own viewsets.
for _area in AREAS:
    import_module(f"{__package__}.api.{_area}").register(router)
urlpatterns = router.urls
