"""The service's "Quiet hours" tab: switch them on or off and set the hours per weekday.

The rules (both times or neither, the end after the start, some day with hours
while they are on) are the model's (``QuietHours.clean``), so admin applies the
same; saving goes through ``accounts.quiet_hours.save``, which writes the audit
entry in the same transaction.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import quiet_hours
from accounts.models import WEEKDAY_NAMES, WEEKDAYS, QuietHours

from . import quiet_notes
from .views import get_service, service_page

TIME_FORMAT = "%H:%M"


class QuietHoursForm(forms.ModelForm):
    class Meta:
        model = QuietHours
        fields = list(quiet_hours.FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enabled"].label = gettext_lazy(
            "Quiet hours on: outside the hours below, messages wait"
        )
        for name, field in self.fields.items():
            if name == "enabled":
                continue
            field.input_formats = [TIME_FORMAT]
            field.widget = forms.TimeInput(format=TIME_FORMAT, attrs={"type": "time"})
            field.error_messages["invalid"] = gettext_lazy(
                "Enter the time as HH:MM, for example 08:00."
            )

    def days(self):
        """(day's name, its "from" field, its "until" field), Monday first."""
        return [
            (name, self[f"{day}_from"], self[f"{day}_until"])
            for day, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)
        ]


@login_required
def quiet_hours_settings(request, service_id):
    service = get_service(request, service_id)
    settings_row = quiet_hours.settings_of(service)
    before = quiet_hours.snapshot(settings_row)
    form = QuietHoursForm(request.POST or None, instance=settings_row)
    if request.method == "POST" and form.is_valid():
        quiet_hours.save(form.instance, before)
        if form.instance.enabled:
            messages.success(request, _("Quiet hours saved."))
        else:
            messages.success(request, _("Quiet hours are off: messages leave when sent."))
        return redirect("quiet_hours", service.pk)
    return service_page(
        request,
        service,
        "quiet_hours",
        "panel/quiet_hours.html",
        form=form,
        now_note=quiet_notes.settings_note(service.pk),
    )
