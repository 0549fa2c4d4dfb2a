"""Masked forms of reporter identity: what everyone sees unless a reveal is audited."""
from __future__ import annotations


def name(value: str | None) -> str | None:
    if not value:
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


def id_number(value: str | None) -> str | None:
    if not value:
        return value
    keep = 2 if len(value) > 6 else 1
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def phone(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else \
            value[:3] + "****"
    return "*" * len(value)


def address(value: str | None) -> str | None:
    if not value:
        return value
    return value[: min(6, len(value) // 2)] + "****"


def reporter(anonymous: bool, fields: dict) -> dict:
    """The reporter block of a petition as everyone sees it."""
    if anonymous:
        return {"anonymous": True}
    return {"anonymous": False, "name": name(fields.get("name")),
            "id_number": id_number(fields.get("id_number")), "phone": phone(fields.get("phone")),
            "address": address(fields.get("address")), "masked": True}
