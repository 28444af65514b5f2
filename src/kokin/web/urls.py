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
    path("compliance/", include("kokin.compliance.urls")),  # 遵守状況の報告 (docs/compliance-report.md)
    path("registers/", include("kokin.registers.urls")),  # 従事者名簿・情報処理機器届出台帳 (docs/registers.md)
    path("training/", include("kokin.training.urls")),  # 研修・取扱規程の確認 (docs/training.md)
    path("manage/", admin_site.urls),  # system administrators only; no file or log model
    path("api/", api.urls),
    path("banklink/", include("kokin.banklink.urls")),  # the bank link (docs/banklink.md)
]

# a full disk or a database that cannot be written is named on the error page (507 / 503)
handler500 = "kokin.web.errors.server_error"
# Japanese pages (JSON under /api/ and /banklink/v1/) for a bad, refused or unknown request
handler400 = "kokin.web.error_pages.bad_request"
handler403 = "kokin.web.error_pages.permission_denied"
handler404 = "kokin.web.error_pages.page_not_found"
