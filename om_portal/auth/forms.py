from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A one-time code from an authenticator app."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_code(self):
        # Apps show the code as "123 456"; people type it either way.
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Enter the 6-digit code shown by your authenticator app."))
        return code
