"""status.php's answers as seed 003 words them: its field names in its order, a fmt 0
line read back, and error 1."""


def fmt0_names(line: str) -> list[str]:
    """The field names of a fmt 0 line, in order (its values hold no ", ")."""
    return [part.split("=", 1)[0].strip() for part in line.split(", ")]


def fmt0_values(line: str) -> dict[str, str]:
    return dict((p.split("=", 1)[0].strip(), p.split("=", 1)[1].strip()) for p in line.split(", "))


SEED_FMT0 = {
    0: ["Status", "check_time", "err"],
    1: [
        *("Status", "check_time", "err", "send_date", "phone", "cost", "sender_id"),
        *("status_name", "message", "comment", "type"),
    ],
    2: [
        *("Status", "check_time", "err", "send_date", "phone", "mccmnc", "country", "operator"),
        *("operator_orig", "region", "cost", "sender_id", "status_name", "message", "comment"),
        "type",
    ],
}
SEED_TAGS = {
    0: ["status", "last_date", "last_timestamp", "flag", "err"],
    1: [
        *("status", "last_date", "last_timestamp", "flag", "err", "send_date", "send_timestamp"),
        *("phone", "cost", "sender_id", "status_name", "message", "comment", "type", "sms_cnt"),
    ],
    2: [
        *("status", "last_date", "last_timestamp", "flag", "err", "send_date", "send_timestamp"),
        *("phone", "cost", "sender_id", "status_name", "message", "comment", "mccmnc"),
        *("country", "operator", "operator_orig", "region", "type", "sms_cnt"),
    ],
}
PARAMETERS = "ERROR = 1 (parameters error)"
