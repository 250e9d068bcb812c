"""The floor the send benchmark (P2) compares against: only the database work a
correct send needs, in raw SQL, behind a bare Django view. Served by the bench's
own URLconf (``bench.settings``), never by the product's."""

import json
from decimal import Decimal

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from smspanel.urls import urlpatterns as product_urlpatterns

PRICE = "0.0700"
PRICE_DECIMAL = Decimal(PRICE)


@csrf_exempt
def floor_send(request):
    """Lock the balance, charge, insert the message, its ledger row and one recipient."""
    service_id = int(request.GET.get("service", "0") or request.POST.get("service", "0"))
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT balance, credit_limit FROM accounts_service WHERE id = %s FOR UPDATE",
            [service_id],
        )
        balance, credit_limit = cursor.fetchone()
        new_balance = balance - PRICE_DECIMAL
        if new_balance < -credit_limit:
            return HttpResponse('{"error":"INSUFFICIENT_FUNDS"}')
        cursor.execute(
            "UPDATE accounts_service SET balance = %s WHERE id = %s", [new_balance, service_id]
        )
        cursor.execute(
            "INSERT INTO messaging_message (service_id, source, text, encoding, parts, sender,"
            " route, flash, express, forced, send_at, notify_url, user_flag, recipient_count,"
            " recipient_price, price, created_at) VALUES (%s, 'api', 'floor', 'GSM-7', 1, '',"
            " 'standard', false, false, false, %s, '', '', 1, %s, %s, %s) RETURNING id",
            [service_id, now, PRICE, PRICE, now],
        )
        message_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO accounts_ledgerentry (service_id, kind, amount, balance_after,"
            " reference, reason, params, note, created_at)"
            " VALUES (%s, 'charge', %s, %s, %s, 'message', %s, '', %s)",
            [
                service_id,
                "-" + PRICE,
                new_balance,
                f"charge:message:{message_id}",
                json.dumps({"message": message_id, "count": 1, "price": PRICE}),
                now,
            ],
        )
        cursor.execute(
            "INSERT INTO messaging_recipient (message_id, number, status, status_at, send_at,"
            " refunded) VALUES (%s, '48600000000', 'PENDING', %s, %s, false)",
            [message_id, now, now],
        )
    return HttpResponse(f'{{"error":"OK","message_id":{message_id}}}')


urlpatterns = [*product_urlpatterns, path("bench/floor/", floor_send)]
