from django.urls import path

from kokin.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("verify/", views.verify_view, name="verify"),
    path("password/", views.password_change_view, name="password_change"),
    path("security/", views.security_view, name="security"),
]
