"""The platform's own mail to people (service activated, sender names moderated,
address confirmation links, failed sign-ins): one template pair per mail under
``templates/emails/``, ``<name>_subject.txt`` and ``<name>.txt``, its words marked
for translation.

A mail is written in the language of the customer it concerns (``Customer.language``,
kept from the panel's language switch), an address the customer lists included. While
that is not known, it is written in each of ``LANGUAGES``, the default (Polish) first:
the subjects joined by `` / ``, the bodies by a blank line.

The Sms2Email bridge's own mail (replies to refused requests, delivery reports,
incoming SMS: seed 000 §4.2, §4.3) stays in the Polish the seed words it in
(mailbridge.replies, mailbridge.reports, mailbridge.outbound).
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


def render_email(name: str, context: dict, language: str | None = None) -> tuple[str, str]:
    """The subject and body of the mail ``name``: in ``language``, or, when the
    recipient's language is not known (None), in every language, the default first."""
    if language:
        return _render(name, context, language)
    parts = [_render(name, context, code) for code in languages()]
    return " / ".join(subject for subject, _ in parts), "\n".join(body for _, body in parts)


def languages() -> list[str]:
    """The codes of LANGUAGES, LANGUAGE_CODE first."""
    codes = [code for code, _name in settings.LANGUAGES]
    return [settings.LANGUAGE_CODE, *(code for code in codes if code != settings.LANGUAGE_CODE)]


def _render(name: str, context: dict, language: str) -> tuple[str, str]:
    with translation.override(language):
        subject = render_to_string(f"emails/{name}_subject.txt", context)
        body = render_to_string(f"emails/{name}.txt", context)
    # A header takes no line break; a body ends with exactly one.
    return "".join(subject.splitlines()).strip(), body.rstrip("\n") + "\n"
