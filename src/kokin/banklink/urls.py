from django.urls import path

from kokin.banklink import pages, views

app_name = "banklink"
urlpatterns = [
    path("history/", pages.history, name="history"),
    path("v1/files", views.files, name="files"),
    path("v1/files/<uuid:file_id>", views.download, name="download"),
    path("v1/files/<uuid:file_id>/ack", views.ack, name="ack"),
    path("v1/uploads", views.uploads, name="uploads"),
    path("v1/uploads/<uuid:upload_id>", views.upload, name="upload"),
]
