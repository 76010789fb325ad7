from django.urls import path

from inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.index, name="index"),
]
