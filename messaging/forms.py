"""Forms shared by the panel and admin for messaging actions."""

from django import forms
from django.utils.translation import gettext_lazy as _


class IncomingSmsForm(forms.Form):
    """An SMS to inject as if the simulator gateway had received it."""

    from_number = forms.CharField(
        label=_("From"),
        max_length=32,
        initial="48600100200",
        help_text=_("The phone number (or name) the SMS comes from."),
    )
    to_number = forms.CharField(
        label=_("To"),
        max_length=32,
        help_text=_("Your number or GSM gateway alias the SMS was sent to."),
    )
    text = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
