from django.urls import path

from kokin.incidents import report_views, views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("<int:number>/", views.detail, name="detail"),
    path("<int:number>/advance/", views.advance, name="advance"),
    path("<int:number>/notes/", views.add_note, name="note"),
    path("<int:number>/report/", report_views.report_page, name="report"),
    path("<int:number>/report.pdf", report_views.export_pdf, name="report_pdf"),
    path("<int:number>/report.txt", report_views.export_text, name="report_text"),
]
