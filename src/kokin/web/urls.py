from django.urls import include, path

from kokin.accounts.admin import site as admin_site
from kokin.api.api import api
from kokin.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("kokin.accounts.urls")),
    path("audit/", include("kokin.audit.urls")),
    path("files/", include("kokin.exchange.urls")),
    path("incidents/", include("kokin.incidents.urls")),  # 事故・インシデント (docs/incidents.md)
    path("training/", include("kokin.training.urls")),  # 研修・取扱規程の確認 (docs/training.md)
    path("manage/", admin_site.urls),  # system administrators only; no file or log model
    path("api/", api.urls),
    path("banklink/", include("kokin.banklink.urls")),  # the bank link (docs/banklink.md)
]

# a full disk or a database that cannot be written is named on the error page (507 / 503)
handler500 = "kokin.web.errors.server_error"
