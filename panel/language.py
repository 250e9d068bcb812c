"""The panel's language switch (the form in templates/base.html): Django's
``set_language`` sets the language cookie, and a signed-in customer's choice is kept
as ``Customer.language`` too, so the platform's mail to them (lib.emails) is written
in the language they read the panel in."""

from django.conf import settings
from django.views import i18n

from accounts.models import Customer


def set_language(request):
    """Django's switch; the language it took is kept on the user's customer, if any."""
    response = i18n.set_language(request)
    # Django sets the cookie only for a POST naming a language it has; LANGUAGES is
    # narrower (Django ships more), and the field takes only those.
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    language = cookie.value if cookie else None
    if language in dict(settings.LANGUAGES) and request.user.is_authenticated:
        # Staff without a customer match no row.
        Customer.objects.filter(user=request.user).update(language=language)
    return response
