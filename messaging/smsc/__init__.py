"""SMSC-compatible HTTP APIs (SPEC §6, seeds 003 and 004): ``wire`` reads and writes
the format, ``codes`` maps our statuses and refusals, ``views`` serves ``/sys/``."""
