# The panel's English dates, over Django's American ones ("12/07/2026 5:37 a.m."): the
# month by name, so that neither a British nor an American reader swaps day and month.
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
DATETIME_FORMAT = "j M Y, H:i:s"
# A day in a chart's axis: 7 Dec.
MONTH_DAY_FORMAT = "j M"
