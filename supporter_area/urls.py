from django.urls import path

from . import views

app_name = "supporters"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("login/after-gift/<str:token>/", views.enter_after_gift, name="enter_after_gift"),
    path("logout/", views.logout, name="logout"),
    path("logged-out/", views.logged_out, name="logged_out"),
    # A supporter's regular gift: without `gift`, their only one (or a choice among several);
    # with it, that gift of theirs. Each pair shares its name; `reverse` picks by the kwargs.
    path("monthly/", views.monthly, name="monthly"),
    path("gifts/<int:gift>/amount/", views.monthly, name="monthly"),
    path("monthly/stop/", views.monthly_stop, name="monthly_stop"),
    path("gifts/<int:gift>/stop/", views.monthly_stop, name="monthly_stop"),
    path("monthly/pause/", views.monthly_pause, name="monthly_pause"),
    path("gifts/<int:gift>/pause/", views.monthly_pause, name="monthly_pause"),
    path("monthly/resume/", views.monthly_resume, name="monthly_resume"),
    path("gifts/<int:gift>/resume/", views.monthly_resume, name="monthly_resume"),
    path("monthly/payment-method/", views.payment_method, name="payment_method"),
    path("gifts/<int:gift>/payment-method/", views.payment_method, name="payment_method"),
    path("monthly/account/", views.bank_account, name="bank_account"),
    path("gifts/<int:gift>/account/", views.bank_account, name="bank_account"),
    path(
        "monthly/payment-method/<str:token>/",
        views.payment_method_return,
        name="payment_method_return",
    ),
    path("periodic-gift/", views.agreement_new, name="agreement_new"),
    path("periodic-gift/by-transfer/", views.agreement_by_transfer, name="agreement_by_transfer"),
    path("gifts/<int:gift>/periodic-gift/", views.agreement_new, name="agreement_new"),
    path("periodic-gift/<str:number>/", views.agreement, name="agreement"),
    path("statement/<int:year>/", views.statement, name="statement"),
    path("profile/", views.profile, name="profile"),
    path("profile/email/", views.email_change, name="email_change"),
    path("profile/email/confirm/", views.email_confirm, name="email_confirm"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/my-data.json", views.export, name="export"),
    path("privacy/erase/", views.erase, name="erase"),
    path("erased/", views.erased, name="erased"),
]
