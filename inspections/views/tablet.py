from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def index(request):
    return render(request, "inspections/index.html")


urlpatterns = [path("", index, name="index")]
