"""URLs of the bank link: the transfer-history page and the HTTP API under ``/banklink/v1/``."""

from django.urls import path

from kokin.banklink import api, views

app_name = "banklink"
urlpatterns = [
    path("history/", views.history, name="history"),
    path("v1/files", api.files, name="files"),
    path("v1/files/<uuid:file_id>", api.download, name="download"),
    path("v1/files/<uuid:file_id>/ack", api.ack, name="ack"),
    path("v1/uploads", api.uploads, name="uploads"),
    path("v1/uploads/<uuid:upload_id>", api.upload, name="upload"),
]
