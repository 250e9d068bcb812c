"""What the wire tests share: the charsets by Python's names, texts in and out of
them, and one status.php row (seed 003) found and one not."""

from datetime import datetime
from zoneinfo import ZoneInfo

from messaging.smsc.wire import StatusRow

WARSAW = ZoneInfo("Europe/Warsaw")
CODECS = {"windows-1251": "cp1251", "koi8-r": "koi8_r", "utf-8": "utf-8"}
CYRILLIC = "Привет, мир"
POLISH = "Zażółć gęślą jaźń"
POLISH_AS_QUESTION_MARKS = "Za???? g??l? ja??"  # no Polish letter is in cp1251 or koi8-r


def xml_items(element) -> list[tuple[str, str | None]]:
    return [(child.tag, child.text) for child in element]


SENT_AT = datetime(2026, 3, 5, 9, 7, 2, tzinfo=WARSAW)
CHANGED_AT = datetime(2026, 3, 5, 9, 8, 30, tzinfo=WARSAW)
SENT_STAMP = 1772698022  # 2026-03-05 08:07:02 UTC
CHANGED_STAMP = 1772698110  # 2026-03-05 08:08:30 UTC

ROW = StatusRow(
    id="12345",
    phone="48600100123",
    status=1,
    last_changed=CHANGED_AT,
    err=0,
    flag=0,
    sent=SENT_AT,
    cost="0.07",
    sender="Shop",
    status_name="Delivered",
    message="Hello",
    comment="order 7",
    type=0,
    sms_cnt=1,
    mccmnc="26001",
    country="Poland",
    operator="Plus",
    operator_orig="Play",
    region="Mazowieckie",
)
MISSING = StatusRow(id="999", phone="48600100999", found=False, status=-3)
