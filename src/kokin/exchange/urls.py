from django.urls import path

from kokin.exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.file_list, name="list"),
    path("upload/<slug:business>/", views.upload, name="upload"),
    path("certificates/", views.certificate_list, name="certificates"),
    path("certificates/<slug:number>/", views.certificate_pdf, name="certificate"),
    path("quarantine/", views.quarantine_list, name="quarantine"),
    path("<uuid:file_id>/", views.detail, name="detail"),
    path("<uuid:file_id>/approve/", views.approve, name="approve"),
    path("<uuid:file_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<uuid:file_id>/download/", views.download, name="download"),
    path("<uuid:file_id>/inspect/", views.inspect, name="inspect"),
]
