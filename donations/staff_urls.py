from django.urls import path

from . import staff

app_name = "staff"

urlpatterns = [
    path("dashboard/", staff.dashboard, name="dashboard"),
    path("payments.csv", staff.payments_export, name="payments_export"),
    path("regular-giving/", staff.regular_giving, name="regular_giving"),
    path("returned-debits/", staff.returned_debits, name="returned_debits"),
    path("sources/", staff.sources, name="sources"),
    path("sources.csv", staff.sources_export, name="sources_csv"),
    path("record-gift/", staff.record_gift, name="record_gift"),
    path("bank-statement/", staff.bank_statement, name="bank_statement"),
    path("bank-transfers/<int:pk>/", staff.bank_transfer_decide, name="bank_transfer_decide"),
    path("regular-giving/<slug:key>.csv", staff.regular_giving_export, name="regular_giving_csv"),
]
