"""The latest Unix time the doors read from the wire, shared by the HTTP API and SMSC.

A time past it is clamped by the Telecube API (SPEC §4: too far ahead) and is
error 1 in SMSC's send.php; either way no datetime is made of it.
"""

# 9999-12-30 00:00 UTC: a day short of what a datetime holds, so any time zone
# can show it.
LATEST_UNIX_TIME = 253_402_128_000
