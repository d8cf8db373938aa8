from importlib import import_module

from django.urls import path

from .areas import AREAS
from .views import assignment

urlpatterns = [
    path("cong-viec/", assignment.worklist, name="worklist"),
    path("van-ban/<int:pk>/giao-xu-ly/", assignment.assign, name="workflow-assign"),
    path("xu-ly/<int:pk>/giao-lai/", assignment.reassign, name="workflow-reassign"),
    path("xu-ly/<int:pk>/tien-do/", assignment.progress, name="workflow-progress"),
    path("xu-ly/<int:pk>/ket-thuc/", assignment.finish, name="workflow-finish"),
]

# Each area's views module lists its own pages.
for _area in AREAS:
    urlpatterns += import_module(f"{__package__}.views.{_area}").urlpatterns
