from django.contrib import admin
from django.urls import include, path

from kokin.api.api import api
from kokin.web import views

admin.site.site_header = "kokin システム管理"
admin.site.site_title = "kokin"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("kokin.accounts.urls")),
    path("audit/", include("kokin.audit.urls")),
    path("manage/", admin.site.urls),
    path("api/", api.urls),
]
