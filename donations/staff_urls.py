from django.urls import path

from . import staff

app_name = "staff"

urlpatterns = [
    path("dashboard/", staff.dashboard, name="dashboard"),
    path("payments.csv", staff.payments_export, name="payments_export"),
]
