"""The customer panel's pages. Each view reaches only the signed-in customer's objects."""

import uuid

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import apiauth, audit, orders, senders
from accounts.models import AuditAction, Service, ServiceKind, StateChangeRefused
from gateways.models import Driver, Gateway
from lib import l10n
from lib.clientaddress import request_address
from mailbridge import recipients, settings_ops
from mailbridge.models import InboundMail, OutboundMail
from messaging import callbacks, usage
from messaging import services as messaging_services
from messaging.forms import IncomingSmsForm
from messaging.models import FINAL_STATUSES, Callback, Message, Status

from . import charts, confirm, history, message_templates, overview, quiet_notes, sending
from .forms import (
    AllowedAddressForm,
    CallbackUrlForm,
    LowBalanceAlertForm,
    OrderServiceForm,
    SenderIdForm,
    Sms2EmailSettingsForm,
)
from .sending import SendForm


def customer_services(user):
    """The services this user may see: their own customer's, nobody else's."""
    return Service.objects.filter(customer__user=user)


def get_service(request, service_id) -> Service:
    # Another customer's service is "not found", exactly like a missing one.
    # The Sms2Email settings come along: the tabs show its pages when it is on.
    return get_object_or_404(
        customer_services(request.user).select_related("sms2email"), pk=service_id
    )


def service_page(request, service, tab, template, **context):
    return render(
        request,
        template,
        {
            "service": service,
            "tab": tab,
            "sms2email": getattr(service, "sms2email", None),
            **context,
        },
    )


@login_required
def dashboard(request):
    services = list(customer_services(request.user).order_by("name"))
    return render(
        request,
        "panel/dashboard.html",
        {
            "services": services,
            "overview": overview.overview(services),
            "has_customer": hasattr(request.user, "customer"),
        },
    )


@login_required
def order_service(request):
    """Zamów usługę: the new service waits (101) until staff activate it in admin."""
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise Http404
    form = OrderServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service = orders.order_service(customer.pk, data["name"], data["kind"])
        except orders.TooManyPending as refused:
            waiting = ngettext(
                "You have %(n)s service waiting for activation already: we will activate it soon.",
                "You have %(n)s services waiting for activation already: we will activate "
                "them soon.",
                refused.waiting,
            )
            form.add_error(None, waiting % {"n": refused.waiting})
        else:
            messages.success(
                request,
                _("Service %(name)s ordered. We will activate it and tell you by e-mail.")
                % {"name": service.name},
            )
            return redirect("dashboard")
    return render(request, "panel/order_service.html", {"form": form})


@login_required
def service_interfaces(request, service_id):
    service = get_service(request, service_id)
    return service_page(
        request,
        service,
        "interfaces",
        "panel/service_interfaces.html",
        api_base=request.build_absolute_uri("/sms_api/"),
        smsc_base=request.build_absolute_uri("/sys/"),
        **usage_charts(service),
    )


INTERFACE_FIELDS = {"http-api": "http_api_enabled", "smsc-api": "smsc_api_enabled"}


@login_required
@require_POST
def interface_switch(request, service_id, interface, state):
    """Switch the HTTP API or the SMSC API on or off; cached credentials follow at once."""
    service = get_service(request, service_id)
    field = INTERFACE_FIELDS.get(interface)
    if field is None or state not in ("on", "off"):
        raise Http404
    before = getattr(service, field)
    setattr(service, field, state == "on")
    with transaction.atomic():
        service.save(update_fields=[field])  # post_save clears the cached identity
        if before != getattr(service, field):
            audit.record(
                AuditAction.SERVICE_CHANGED,
                service=service,
                changes={field: [before, getattr(service, field)]},
            )
    names = {"http-api": _("The HTTP API"), "smsc-api": _("The SMSC API")}
    if state == "on":
        messages.success(request, _("%(name)s is on.") % {"name": names[interface]})
    else:
        messages.success(
            request,
            _("%(name)s is off: its calls are refused as a wrong login.")
            % {"name": names[interface]},
        )
    return redirect("service", service.pk)


def usage_charts(service) -> dict:
    """The last 30 days of SMS and spending, as SVG charts and the table behind them."""
    days = usage.daily(service.pk)
    labels = [l10n.moment(d.day) for d in days]
    ticks = [l10n.day_and_month(d.day) for d in days]
    return {
        "usage_days": days,
        "sms_chart": charts.bars(
            _("SMS per day, last 30 days"),
            labels,
            [
                (_("sent"), "sent", [d.sent for d in days]),
                (_("delivered"), "delivered", [d.delivered for d in days]),
                (_("failed"), "failed", [d.failed for d in days]),
            ],
            ticks,
        ),
        "spending_chart": charts.bars(
            _("Spending per day (PLN), last 30 days"),
            labels,
            [(_("spent"), "spent", [d.spent for d in days])],
            ticks,
        ),
    }


@login_required
@confirm.asks_first
def service_block(request, service_id):
    service = get_service(request, service_id)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            service,
            tab="interfaces",
            title=_("Block the service %(name)s?") % {"name": service.name},
            what=[
                _(
                    "New messages are refused until you unblock it: from the API, the "
                    "SMSC API, Sms2Email and this panel alike."
                ),
                _("You can unblock it yourself on the Interfaces tab at any time."),
            ],
            yes=_("Yes, block the service"),
            back=reverse("service", args=[service.pk]),
        )
    try:
        service.block_by_customer()
        messages.success(
            request, _("The service is blocked: it sends nothing until you unblock it.")
        )
    except StateChangeRefused:
        messages.error(request, _("Only an active service can be blocked."))
    return redirect("service", service.pk)


@login_required
@require_POST
def service_unblock(request, service_id):
    service = get_service(request, service_id)
    try:
        service.unblock_by_customer()
        messages.success(request, _("The service is unblocked and can send again."))
    except StateChangeRefused:
        messages.error(
            request,
            _(
                "You can lift only a block you set yourself. A service blocked by our "
                "staff is unblocked by them: please contact us."
            ),
        )
    return redirect("service", service.pk)


@login_required
def sms_settings(request, service_id):
    service = get_service(request, service_id)
    form = LowBalanceAlertForm(request.POST or None, service=service)
    if request.method == "POST" and form.is_valid():
        form.save()
        if form.cleaned_data["low_balance_threshold"] is None:
            messages.success(request, _("Low-balance alert switched off."))
        else:
            messages.success(request, _("Low-balance alert saved."))
        return redirect("sms_settings", service.pk)
    incoming_url = request.build_absolute_uri("/sms_api/incoming/") + "<SMS hash>/"
    return service_page(
        request, service, "sms", "panel/sms_settings.html", incoming_url=incoming_url, form=form
    )


def _show_secret_once(request, service, title, secret, explanation):
    # Rendered straight into the POST response and never stored in clear:
    # the page tells the customer to copy it now.
    response = service_page(
        request,
        service,
        "sms",
        "panel/secret_shown.html",
        title=title,
        secret=secret,
        explanation=explanation,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@confirm.asks_first
def regenerate_api_password(request, service_id):
    service = get_service(request, service_id)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            service,
            tab="sms",
            title=_("Generate a new API password?"),
            what=[
                _(
                    "The current API password stops working at once: your software is "
                    "refused until you give it the new one."
                ),
                _("The new password is shown once, on the next page."),
            ],
            yes=_("Yes, make a new API password"),
            back=reverse("sms_settings", args=[service.pk]),
        )
    password = apiauth.regenerate_api_password(service)
    return _show_secret_once(
        request,
        service,
        _("New API password"),
        password,
        _("The previous API password no longer works. Update your software with this one."),
    )


@login_required
@confirm.asks_first
def regenerate_sms_hash(request, service_id):
    service = get_service(request, service_id)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            service,
            tab="sms",
            title=_("Generate a new SMS hash?"),
            what=[
                _(
                    "Your incoming-SMS address changes at once: calls to the current "
                    "address are refused until you update it wherever it is set."
                ),
                _("The new hash is shown once, on the next page."),
            ],
            yes=_("Yes, make a new SMS hash"),
            back=reverse("sms_settings", args=[service.pk]),
        )
    sms_hash = apiauth.regenerate_sms_hash(service)
    return _show_secret_once(
        request,
        service,
        _("New SMS hash"),
        sms_hash,
        _("Incoming SMS are now accepted at %(url)s only; the previous hash no longer works.")
        % {"url": request.build_absolute_uri(f"/sms_api/incoming/{sms_hash}/")},
    )


@login_required
def ip_addresses(request, service_id):
    service = get_service(request, service_id)
    form = AllowedAddressForm(request.POST or None, service=service)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():  # with its audit entry (accounts.audit)
            entry = form.save()
        messages.success(request, _("%(network)s added.") % {"network": entry.network})
        return redirect("ip_addresses", service.pk)
    return service_page(
        request,
        service,
        "ip",
        "panel/ip_addresses.html",
        form=form,
        entries=service.allowed_addresses.order_by("network"),
        your_address=request_address(request),
    )


@login_required
@confirm.asks_first
def ip_address_delete(request, service_id, entry_id):
    service = get_service(request, service_id)
    entry = get_object_or_404(service.allowed_addresses, pk=entry_id)
    if not confirm.confirmed(request):
        network = {"network": entry.network}
        what = [_("API calls from %(network)s are refused from then on.") % network]
        if service.allowed_addresses.count() == 1:
            what.append(_("It is the last address on the list: the API then refuses every call."))
        return confirm.ask(
            request,
            service,
            tab="ip",
            title=_("Remove %(network)s from the allowed addresses?") % network,
            what=what,
            yes=_("Yes, remove the address"),
            back=reverse("ip_addresses", args=[service.pk]),
        )
    with transaction.atomic():  # with its audit entry (accounts.audit)
        entry.delete()
    messages.success(request, _("%(network)s removed.") % {"network": entry.network})
    return redirect("ip_addresses", service.pk)


@login_required
def callback_url(request, service_id):
    service = get_service(request, service_id)
    form = CallbackUrlForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            if changes := audit.form_changes(form):
                audit.record(AuditAction.CALLBACK_URL, service=service, changes=changes)
        if service.callback_url:
            messages.success(request, _("Callback URL saved."))
        else:
            messages.success(request, _("Callback URL removed: callbacks are off."))
        return redirect("callback_url", service.pk)
    return service_page(
        request,
        service,
        "callback",
        "panel/callback_url.html",
        form=form,
        signing_secret=callbacks.signing_secret(service),
        signature_header=callbacks.SIGNATURE_HEADER,
    )


@login_required
@confirm.asks_first
def regenerate_signing_secret(request, service_id):
    service = get_service(request, service_id)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            service,
            tab="callback",
            title=_("Make a new signing secret?"),
            what=[
                _(
                    "Callbacks are signed with the new secret at once: a server that "
                    "checks them with the current one refuses them until you update it."
                )
            ],
            yes=_("Yes, make a new signing secret"),
            back=reverse("callback_url", args=[service.pk]),
        )
    callbacks.regenerate_signing_secret(service)
    messages.success(
        request, _("New signing secret made: callbacks are signed with it from now on.")
    )
    return redirect("callback_url", service.pk)


def _filtered(request, form_class):
    form = form_class(request.GET or None)
    query = request.GET.copy()
    query.pop("page", None)
    return form, query.urlencode()


@login_required
def message_list(request, service_id):
    service = get_service(request, service_id)
    form, query = _filtered(request, history.MessageFilterForm)
    page = Paginator(history.messages_of(service, form), 50).get_page(request.GET.get("page"))
    return service_page(
        request,
        service,
        "messages",
        "panel/message_list.html",
        page=page,
        rows=history.with_outcomes(page.object_list),
        form=form,
        query=query,
    )


@login_required
def message_list_csv(request, service_id):
    service = get_service(request, service_id)
    form = history.MessageFilterForm(request.GET or None)
    return history.messages_csv(service, form, history.dialect_of(request.GET))


@login_required
def message_recipients_csv(request, service_id, message_id):
    service = get_service(request, service_id)
    message = get_object_or_404(Message.objects.visible_to(service.pk), pk=message_id)
    return history.recipients_csv(message, history.dialect_of(request.GET))


@login_required
def balance_history(request, service_id):
    """The service's ledger: every change of its balance, with the balance after it."""
    service = get_service(request, service_id)
    form, query = _filtered(request, history.LedgerFilterForm)
    page = Paginator(history.ledger_entries(service, form), 50).get_page(request.GET.get("page"))
    return service_page(
        request, service, "balance", "panel/balance_history.html", page=page, form=form, query=query
    )


@login_required
def change_history(request, service_id):
    """Historia zmian: the service's audit log, staff's changes too (a top-up, a block),
    with staff named as such rather than by their user."""
    service = get_service(request, service_id)
    page = Paginator(audit.for_service(service), 50).get_page(request.GET.get("page"))
    return service_page(
        request,
        service,
        "changes",
        "panel/change_history.html",
        page=page,
        rows=[history.change_row(entry) for entry in page.object_list],
    )


@login_required
def balance_csv(request, service_id):
    service = get_service(request, service_id)
    form = history.LedgerFilterForm(request.GET or None)
    return history.ledger_csv(service, form, history.dialect_of(request.GET))


@login_required
def incoming_csv(request, service_id):
    service = get_service(request, service_id)
    form = history.IncomingFilterForm(request.GET or None)
    return history.incoming_csv(service, form, history.dialect_of(request.GET))


@login_required
def message_detail(request, service_id, message_id):
    service = get_service(request, service_id)
    # Another service's message is "not found", exactly like a missing one.
    message = get_object_or_404(Message.objects.visible_to(service.pk), pk=message_id)
    # Recipients deleted through the SMSC API are not shown (services.delete_recipients).
    shown = message.recipients.shown()
    counts = dict(shown.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    recipients = Paginator(shown.order_by("id"), 100).get_page(request.GET.get("page"))
    deleted = 0
    if message.recipients_deleted:
        deleted = message.recipients.deleted().count()
    report_calls = (
        Callback.objects.filter(message=message).prefetch_related("attempt_log").order_by("id")
    )
    return service_page(
        request,
        service,
        "messages",
        "panel/message_detail.html",
        message=message,
        counts=sorted(counts.items()),
        # Reloaded every few seconds until every status is final.
        in_flight=any(status not in FINAL_STATUSES for status in counts),
        cancellable=any(status in (Status.PENDING, Status.ON_HOLD) for status in counts),
        recipients=recipients,
        deleted=deleted,
        report_calls=report_calls[:200],
    )


@login_required
def send_sms(request, service_id):
    """Wyślij SMS: the form, then ``submit`` (source: panel) and the message's page.

    The form carries a one-time token, used as the send's key
    (``submit_once``): the same form posted twice sends once and both posts
    land on the same message.
    """
    service = get_service(request, service_id)
    # With a template's text inserted, when asked (panel.message_templates).
    form = message_templates.send_form(request, service)
    estimate, counter, content_warning = None, None, False
    recount = request.method == "POST" and sending.RECOUNT in request.POST
    if recount and form.is_valid():  # "Przelicz": the counter and preview, nothing sent
        estimate, counter = form.count()
        if estimate.problem is not None:
            form.refuse(estimate.problem)
    elif request.method == "POST" and form.is_valid():
        send_request = form.request()
        token = form.cleaned_data.get("token") or uuid.uuid4().hex
        try:
            answer, _repeated = messaging_services.submit_once(
                service.pk,
                f"panel:{token}"[:64],
                send_request,
                lambda a: quiet_notes.accepted_answer(send_request, a) | {"stopped": a.stopped},
            )
        except messaging_services.SendError as exc:
            form.refuse(exc)
            # The counter as it stood, for a page read without JavaScript.
            estimate, counter = form.count(send_request)
            content_warning = isinstance(exc, messaging_services.ContentWarning)
        else:
            messages.success(request, quiet_notes.accepted_words(answer))
            if answer.get("stopped"):
                messages.warning(request, sending.left_out(answer["stopped"]))
            return redirect("message_detail", service.pk, answer["id"])
    return service_page(
        request,
        service,
        "send",
        "panel/send.html",
        form=form,
        estimate=estimate,
        counter=counter,
        # The "send anyway" box appears once the text was warned about.
        show_force=content_warning or bool(form.data.get("force")),
        quiet_note=quiet_notes.send_note(service.pk),
    )


@login_required
@require_POST
def send_estimate(request, service_id):
    """The live counter's figures for the form as typed, counted as ``submit`` counts."""
    service = get_service(request, service_id)
    form = SendForm(request.POST, service=service)
    form.is_valid()  # a half-typed form is still counted
    form.cleaned_data.setdefault("sender", request.POST.get("sender", ""))
    send_request = form.request()
    result = messaging_services.estimate(service.pk, send_request)
    words = form.counter_words(result, send_request)
    problem_field, problem = form.counter_problem(result.problem)
    return JsonResponse(
        {
            "characters": result.characters,
            "encoding": result.encoding,
            "units": result.units,
            "parts": result.parts,
            "max_parts": result.max_parts,
            "ucs2_because": result.ucs2_because,
            "numbers": result.numbers,
            "dropped": result.dropped,  # entries not a number, as ``submit`` counts them
            "stopped": result.stopped,  # valid numbers on the STOP list, left out
            # In words, in the reader's plural forms (the browser knows neither).
            "size_text": words.size,
            "recipients_text": words.recipients,
            "dropped_entries": [{"entry": entry, "why": why} for entry, why in words.dropped],
            "dropped_more": words.more,
            "express": result.express,
            "quiet_hours": quiet_notes.estimate_note(result, send_request),
            "recipient_price": f"{result.recipient_price:.4f}",
            "price": f"{result.price:.4f}",
            "balance_after": f"{result.balance_after:.4f}",
            # The counter shows these as they stand: written by the one money helper,
            # in the page's language, as the page without JavaScript shows them.
            "price_shown": l10n.money(result.price, 4),
            "balance_after_shown": l10n.money(result.balance_after),
            "problem": problem,
            # The field at fault: the counter names a problem once that field is touched.
            "problem_field": problem_field,
            # A group send's range and its first personalised texts (panel.group_send).
            "shortest": result.shortest,
            "longest": result.longest,
            "parts_min": result.parts_min,
            "parts_max": result.parts_max,
            "skipped": form.group_built.skipped if form.group_built else 0,
            "preview": words.preview,
        }
    )


@login_required
@confirm.asks_first
def message_cancel(request, service_id, message_id):
    """Cancel what of a message has not left yet, through the API's ``cancel``; refund shown."""
    service = get_service(request, service_id)
    message = get_object_or_404(Message.objects.visible_to(service.pk), pk=message_id)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            service,
            tab="messages",
            title=_("Cancel message %(id)d?") % {"id": message.pk},
            what=[
                _(
                    "Recipients it has not been sent to yet will not get it, and their "
                    "price returns to the balance."
                ),
                _("What has already been handed to an operator cannot be called back."),
            ],
            yes=_("Yes, cancel the send"),
            back=reverse("message_detail", args=[service.pk, message.pk]),
        )
    # Each cancelled recipient is refunded once, its own price (messaging.transitions).
    cancelled, refunded = messaging_services.cancel_refunding(service.pk, message.pk)
    if cancelled:
        done = ngettext(
            "%(n)d recipient cancelled; %(amount)s returned to the balance.",
            "%(n)d recipients cancelled; %(amount)s returned to the balance.",
            cancelled,
        )
        messages.success(request, done % {"n": cancelled, "amount": l10n.money(refunded)})
    else:
        messages.error(request, _("Nothing to cancel: every recipient has left already."))
    return redirect("message_detail", service.pk, message.pk)


def simulator_enabled() -> bool:
    return Gateway.objects.filter(driver=Driver.SIMULATOR, enabled=True).exists()


@login_required
def incoming(request, service_id):
    """Received SMS; with the simulator gateway on, the customer can play an incoming SMS."""
    service = get_service(request, service_id)
    can_inject = service.kind == ServiceKind.TWO_WAY and simulator_enabled()
    form = IncomingSmsForm(request.POST or None) if can_inject else None
    if request.method == "POST":
        if form is None:
            messages.error(request, _("Only a two-way service on the simulator receives SMS here."))
            return redirect("incoming", service.pk)
        if form.is_valid():
            data = form.cleaned_data
            messaging_services.store_incoming(
                service.pk, data["from_number"], data["to_number"], data["text"], None
            )
            messages.success(request, _("Incoming SMS received (simulated)."))
            return redirect("incoming", service.pk)
    filters, query = _filtered(request, history.IncomingFilterForm)
    received = history.incoming_of(service, filters).prefetch_related("callbacks__attempt_log")
    page = Paginator(received, 50).get_page(request.GET.get("page"))
    return service_page(
        request,
        service,
        "incoming",
        "panel/incoming.html",
        page=page,
        form=form,
        filters=filters,
        query=query,
    )


@login_required
def sender_ids(request, service_id):
    """Nazwy nadawcy: the same operations as SMSC senders.php (``accounts.senders``)."""
    service = get_service(request, service_id)
    form = SenderIdForm(request.POST or None, service=service)
    if request.method == "POST" and form.is_valid():
        try:
            sender = senders.add(
                service.pk, form.cleaned_data["name"], form.cleaned_data.get("comment", "")
            )
        except senders.NotSaved:
            # Registered by a request that raced this one past the form's check.
            form.add_error(
                "name",
                _("You have already registered the sender name %(name)s.")
                % {"name": form.cleaned_data["name"]},
            )
        except senders.SenderError as exc:
            form.add_error("name", str(exc))  # InvalidName: the validator's own words
        else:
            text = _("Sender name %(name)s sent for moderation.") % {"name": sender.name}
            if sender.is_phone:
                text += " " + _("Confirm the number with the code we send to it by SMS.")
            messages.success(request, text)
            return redirect("sender_ids", service.pk)
    listed = list(senders.listed(service.pk).prefetch_related("operator_registrations"))
    # The platform's networks (SENDER_NAME_OPERATORS), not seed 004's columns, which
    # are SMSC's wire fields only: each name's statuses in words, in one cell.
    return service_page(
        request,
        service,
        "senders",
        "panel/sender_ids.html",
        form=form,
        senders=listed,
        operators=list(django_settings.SENDER_NAME_OPERATORS.values()),
        rows=[(s, s.registration_statuses()) for s in listed],
        code_tries=senders.CODE_TRIES,
    )


def _own_sender(request, service_id, sender_id):
    service = get_service(request, service_id)
    try:
        return service, senders.find(service.pk, pk=sender_id)
    except senders.NotFound:
        raise Http404 from None


@login_required
@require_POST
def sender_send_code(request, service_id, sender_id):
    """Send the confirmation code to a phone-number sender, as an SMS (charged)."""
    service, sender = _own_sender(request, service_id, sender_id)
    try:
        messaging_services.send_sender_code(service.pk, sender.pk)
    except senders.CodeAlreadySent as exc:
        messages.error(
            request,
            _("A code went to %(name)s less than 8 hours ago; ask again after %(at)s.")
            % {
                "name": sender.name,
                "at": l10n.moment(exc.retry_at),
            },
        )
    except senders.NotANumber:
        messages.error(request, _("Only a Polish mobile number can be confirmed by a code."))
    except messaging_services.SendError as exc:
        messages.error(
            request,
            _("The code could not be sent: %(why)s") % {"why": sending.refusal(exc)[1]},
        )
    else:
        messages.success(
            request, _("Code sent by SMS to %(name)s. Type it below.") % {"name": sender.name}
        )
    return redirect("sender_ids", service.pk)


@login_required
@require_POST
def sender_confirm(request, service_id, sender_id):
    service, sender = _own_sender(request, service_id, sender_id)
    try:
        senders.check_code(sender, request.POST.get("code", ""))
    except senders.NoTriesLeft:
        wrong = ngettext(
            "%(n)s wrong code: ask for a new code once 8 hours have passed since the last.",
            "%(n)s wrong codes: ask for a new code once 8 hours have passed since the last.",
            senders.CODE_TRIES,
        )
        messages.error(request, wrong % {"n": senders.CODE_TRIES})
    except senders.WrongCode as exc:
        if exc.tries_left is None:
            messages.error(request, _("No code is waiting for this number: ask for one first."))
        else:
            messages.error(
                request,
                ngettext(
                    "That is not the code: %(n)d try left.",
                    "That is not the code: %(n)d tries left.",
                    exc.tries_left,
                )
                % {"n": exc.tries_left},
            )
    else:
        messages.success(request, _("%(name)s is confirmed.") % {"name": sender.name})
    return redirect("sender_ids", service.pk)


@login_required
@confirm.asks_first
def sender_delete(request, service_id, sender_id):
    service, sender = _own_sender(request, service_id, sender_id)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            service,
            tab="senders",
            title=_("Remove the sender name %(name)s?") % {"name": sender.name},
            what=[
                _(
                    "Messages can no longer be sent with it. To use it again you add it "
                    "again, and it waits for moderation anew."
                )
            ],
            yes=_("Yes, remove the sender name"),
            back=reverse("sender_ids", args=[service.pk]),
        )
    senders.delete(sender)
    messages.success(request, _("Sender name %(name)s removed.") % {"name": sender.name})
    return redirect("sender_ids", service.pk)


@login_required
@require_POST
def sms2email_on(request, service_id):
    service = get_service(request, service_id)
    settings_ops.switch_on(service)
    messages.success(
        request,
        _("Sms2Email is on. Add your authorised senders in the Sms2Email settings."),
    )
    return redirect("service", service.pk)


@login_required
@require_POST
def sms2email_off(request, service_id):
    service = get_service(request, service_id)
    settings_ops.switch_off(service)
    messages.success(
        request,
        _("Sms2Email is off: mail to the service is refused. Your settings are kept."),
    )
    return redirect("service", service.pk)


def get_sms2email(request, service_id):
    """The service and its Sms2Email settings; None for the settings while it is off."""
    service = get_service(request, service_id)
    settings_row = getattr(service, "sms2email", None)
    if settings_row is None or not settings_row.enabled:
        messages.error(request, _("Sms2Email is off. Switch it on first."))
        return service, None
    return service, settings_row


@login_required
def sms2email_settings(request, service_id):
    service, settings_row = get_sms2email(request, service_id)
    if settings_row is None:
        return redirect("service", service.pk)
    form = Sms2EmailSettingsForm(
        request.POST or None, instance=settings_row, link_for=recipients.link_for(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except (ValidationError, IntegrityError):
            # Another service claimed one of the senders since the form was checked.
            form.add_error(
                "authorised_senders",
                _("Another service has just claimed one of these senders. Check the list."),
            )
        else:
            messages.success(request, _("Sms2Email settings saved."))
            return redirect("sms2email_settings", service.pk)
    return service_page(
        request,
        service,
        "sms2email",
        "panel/sms2email_settings.html",
        form=form,
        settings_row=settings_row,
        # Shown to the signed-in owner only: this page, never cached, never in a URL.
        password=settings_row.password,
        ups_domain=f"{settings_row.ups_subdomain}.{django_settings.SMS2EMAIL_DOMAIN}",
        mail_domain=django_settings.SMS2EMAIL_DOMAIN,
        recipient_addresses=settings_row.recipient_addresses.all(),
    )


@login_required
@require_POST
def sms2email_recipient_ask(request, service_id, address_id):
    """Send an address of Odbiorcy SMS-ów przychodz. that has not confirmed its link again."""
    service, settings_row = get_sms2email(request, service_id)
    if settings_row is None:
        return redirect("service", service.pk)
    row = get_object_or_404(settings_row.recipient_addresses, pk=address_id)
    try:
        recipients.ask_again(row, recipients.link_for(request))
    except recipients.TooManyAsks:
        asks, links = recipients.ASKS_PER_DAY, recipients.LINKS_PER_DAY
        address_had = ngettext(
            "%(address)s was sent a link %(n)s time today",
            "%(address)s was sent a link %(n)s times today",
            asks,
        ) % {"address": row.address, "n": asks}
        service_sent = ngettext(
            "this service sent %(links)s link today",
            "this service sent %(links)s links today",
            links,
        ) % {"links": links}
        too_many = _("%(address_had)s, or %(service_sent)s: try again tomorrow.")
        messages.error(
            request, too_many % {"address_had": address_had, "service_sent": service_sent}
        )
    else:
        sent = _("A new confirmation link is on its way to %(address)s.")
        messages.success(request, sent % {"address": row.address})
    return redirect("sms2email_settings", service.pk)


@login_required
@confirm.asks_first
def sms2email_password(request, service_id):
    service, settings_row = get_sms2email(request, service_id)
    if settings_row is None:
        return redirect("service", service.pk)
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            service,
            tab="sms2email",
            title=_("Generate a new Sms2Email password?"),
            what=[
                _(
                    "The current password stops working at once: mail that carries it, "
                    "or an md5 line made with it, is refused."
                )
            ],
            yes=_("Yes, make a new password"),
            back=reverse("sms2email_settings", args=[service.pk]),
        )
    settings_ops.regenerate_password(settings_row)
    # The message names no password: messages may be kept in a cookie.
    messages.success(request, _("New Sms2Email password made: the previous one no longer works."))
    return redirect("sms2email_settings", service.pk)


@login_required
@confirm.asks_first
def sms2email_subdomain(request, service_id):
    service, settings_row = get_sms2email(request, service_id)
    if settings_row is None:
        return redirect("service", service.pk)
    if not confirm.confirmed(request):
        domain = f"{settings_row.ups_subdomain}.{django_settings.SMS2EMAIL_DOMAIN}"
        return confirm.ask(
            request,
            service,
            tab="sms2email",
            title=_("Make a new UPS subdomain?"),
            what=[
                _(
                    "Mail to addresses at %(domain)s is refused from then on: UPS "
                    "notifications become SMS again once UPS sends them to the new subdomain."
                )
                % {"domain": domain}
            ],
            yes=_("Yes, make a new subdomain"),
            back=reverse("sms2email_settings", args=[service.pk]),
        )
    subdomain = settings_ops.regenerate_subdomain(settings_row)
    messages.success(
        request,
        _("Your UPS subdomain is now %(subdomain)s: mail to the previous one is refused.")
        % {"subdomain": subdomain},
    )
    return redirect("sms2email_settings", service.pk)


@login_required
def sms2email_log(request, service_id):
    service = get_service(request, service_id)
    # Mail from unknown senders has no service and stays for staff (SPEC §5).
    mails = InboundMail.objects.filter(service=service).order_by("-received_at", "-id")
    page = Paginator(mails, 50).get_page(request.GET.get("page"))
    # What the platform mailed for the service: reports and incoming SMS, with their state.
    sent = OutboundMail.objects.filter(service=service).order_by("-created_at", "-id")
    sent_page = Paginator(sent, 50).get_page(request.GET.get("sent_page"))
    return service_page(
        request,
        service,
        "sms2email_log",
        "panel/sms2email_log.html",
        page=page,
        sent_page=sent_page,
        mail_per_hour=django_settings.SMS2EMAIL_MAIL_PER_HOUR,
    )


def api_docs(request):
    """The SMS API reference: public, as it holds no secrets; linked from every service."""
    from messaging.api.docs import endpoints

    base = request.build_absolute_uri("/sms_api/")
    return render(request, "panel/api_docs.html", {"base": base, "endpoints": endpoints(base)})
