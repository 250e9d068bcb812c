# The panel's Polish dates, over Django's own (which writes "07-12-2026  05:37"): the
# dotted day first, as Polish documents and banks write it. Numbers keep Django's
# Polish separators (1 234,56).
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
DATETIME_FORMAT = "d.m.Y H:i:s"
# A day in a chart's axis: 07.12.
MONTH_DAY_FORMAT = "d.m"
