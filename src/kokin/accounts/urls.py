from django.urls import path

from kokin.accounts import passkeys, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("verify/", views.verify_view, name="verify"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("locked/", views.locked_page, name="locked"),
    path("reauth/", views.reauth_view, name="reauth"),
    path("password/", views.password_change_view, name="password_change"),
    path("security/", views.security_view, name="security"),
    path("security/recovery-codes/", views.recovery_codes_view, name="recovery_codes"),
    path("security/totp/", views.totp_reset_view, name="totp_reset"),
    path("security/keys/<int:pk>/delete/", views.key_delete_view, name="key_delete"),
    path("webauthn/register/begin/", passkeys.register_begin, name="webauthn_register_begin"),
    path("webauthn/register/complete/", passkeys.register_complete, name="webauthn_register_complete"),
    path("webauthn/authenticate/begin/", passkeys.authenticate_begin, name="webauthn_authenticate_begin"),
    path("webauthn/authenticate/complete/", passkeys.authenticate_complete, name="webauthn_authenticate_complete"),
]
