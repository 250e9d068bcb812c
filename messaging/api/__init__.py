"""The Telecube-compatible HTTP API (seed 001, SPEC §4), served under ``/sms_api/``."""
