from django.urls import path

from . import views

app_name = "supporters"

urlpatterns = [
    path("", views.home, name="home"),
]
