"""Request bodies for the matrix: a portal form's data as the page would post it, and an API
object's representation to PUT back."""

import json

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contracts import assets_io
from contracts.models import Asset


def form_data(form, **changes) -> dict:
    """What the browser posts for ``form`` as shown (its initial values), with ``changes``."""
    data = {}
    for bound in form:
        if bound.field.disabled:
            continue
        value = bound.value()
        if isinstance(bound.field.widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif value is not None:
            data[bound.html_name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def formset_data(formset) -> dict:
    data = form_data(formset.management_form)
    for form in formset.forms:
        data.update(form_data(form))
    return data


def representation(world, route: str, **kwargs) -> dict:
    """An API object as a superuser reads it: a PUT of it back is a valid full update."""
    client = Client()
    client.force_login(world.root)
    response = client.get(reverse(route, kwargs=kwargs))
    assert response.status_code == 200, (route, kwargs, response.status_code)
    return json.loads(response.content)


def asset_csv(side) -> SimpleUploadedFile:
    """The side's ledger as exported, with one new asset: an import that adds a row."""
    body = assets_io.export_assets(Asset.objects.filter(pk=side.asset.pk), "csv")
    body = body if isinstance(body, bytes) else body.encode()
    text = body.decode("utf-8-sig")
    added = text.replace(side.asset.name, f"{side.mark} 新虚拟机")
    return SimpleUploadedFile(
        "ledger.csv", (text + added.split("\n", 1)[1]).encode(), content_type="text/csv"
    )
