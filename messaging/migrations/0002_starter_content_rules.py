"""A starter set of content rules (seed 001 §8e); staff edit them in admin."""

from django.db import migrations

# (kind, pattern, reason). Patterns see lower-case text without diacritics.
STARTER_RULES = [
    (
        "regex",
        r"(?<!\w)(?:sms|wyslij|wyslac|wysylajac|send|text)\b[^0-9]{0,60}?"
        r"(?:na|pod|to)\s+(?:numer\s+|nr\.?\s*|number\s+)?[79]\d{4}(?!\d)",
        "Asks to send an SMS to a premium-rate short number (7xxxx, 9xxxx)",
    ),
    (
        "regex",
        r"(?<![\d+])(?:\+?48[\s-]?)?0?[\s-]?70[0-8](?:[\s-]?\d){6}(?!\d)",
        "Premium-rate voice number (0-70x)",
    ),
    ("word", "kurw", "Vulgar language"),
    ("word", "chuj", "Vulgar language"),
    ("word", "pierdol", "Vulgar language"),
    ("word", "spierdal", "Vulgar language"),
    ("word", "wypierdal", "Vulgar language"),
    ("word", "jeban", "Vulgar language"),
    ("word", "jebac", "Vulgar language"),
    ("word", "skurwysyn", "Vulgar language"),
    ("word", "fuck", "Vulgar language"),
    ("word", "motherfuck", "Vulgar language"),
    ("word", "dopalacz", "Illegal goods (designer drugs)"),
]


def add_rules(apps, schema_editor):
    ContentRule = apps.get_model("messaging", "ContentRule")
    for kind, pattern, reason in STARTER_RULES:
        ContentRule.objects.get_or_create(kind=kind, pattern=pattern, defaults={"reason": reason})


def remove_rules(apps, schema_editor):
    ContentRule = apps.get_model("messaging", "ContentRule")
    for kind, pattern, _reason in STARTER_RULES:
        ContentRule.objects.filter(kind=kind, pattern=pattern).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]
    operations = [migrations.RunPython(add_rules, remove_rules)]
