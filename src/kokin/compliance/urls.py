from django.urls import path

from kokin.compliance import views

app_name = "compliance"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("<int:pk>/report.pdf", views.download, name="pdf"),
]
