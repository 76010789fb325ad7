"""(being written)"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def incident_list(request):
    return render(request, "incidents/index.html")


urlpatterns = [path("", incident_list, name="list")]
