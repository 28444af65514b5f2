from django.urls import path

from kokin.registers import views

app_name = "registers"
urlpatterns = [
    path("", views.version_list, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/pdf/", views.export_pdf, name="pdf"),
    path("<int:pk>/csv/", views.export_csv, name="csv"),
    path("<int:pk>/signoff/", views.sign_off, name="signoff"),
]
