from django.urls import path

from . import views

app_name = "donations"

urlpatterns = [
    path("donate/", views.donate, name="donate"),
    path("donate/return/<str:token>/", views.donation_return, name="return"),
    path("donate/mandate/", views.mandate_sign, name="mandate_sign"),
    path("donate/mandate/<str:token>/", views.mandate_done, name="mandate_done"),
    path("donate/mandate/stop/<str:token>/", views.mandate_stop, name="mandate_stop"),
]
