"""The panel's language switch (the form in templates/base.html): Django's
``set_language`` sets the language cookie, and a signed-in customer's choice is kept
as ``Customer.language`` too, so the platform's mail to them (lib.emails) is written
in the language they read the panel in, and signing in brings that language back on
another browser."""

from django.conf import settings
from django.contrib.auth import views as auth_views
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


class SignIn(auth_views.LoginView):
    """Django's sign-in; a customer whose language is kept gets the panel in it."""

    def form_valid(self, form):
        response = super().form_valid(form)
        language = (
            Customer.objects.filter(user=form.get_user()).values_list("language", flat=True).first()
        )
        if language:
            # As django.views.i18n.set_language sets it.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
