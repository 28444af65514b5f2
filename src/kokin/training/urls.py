from django.urls import path

from kokin.training import views

app_name = "training"
urlpatterns = [
    path("", views.index, name="index"),
    path("acknowledge/", views.acknowledge, name="acknowledge"),
    path("report.pdf", views.export_pdf, name="report_pdf"),
    path("report.csv", views.export_csv, name="report_csv"),
]
