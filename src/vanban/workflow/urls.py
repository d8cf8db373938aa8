from django.urls import path

from . import views

urlpatterns = [
    path("cong-viec/", views.worklist, name="worklist"),
    path("van-ban/<int:pk>/giao-xu-ly/", views.assign, name="workflow-assign"),
    path("xu-ly/<int:pk>/giao-lai/", views.reassign, name="workflow-reassign"),
    path("xu-ly/<int:pk>/tien-do/", views.progress, name="workflow-progress"),
    path("xu-ly/<int:pk>/ket-thuc/", views.finish, name="workflow-finish"),
]
