"""Settings load once, frozen, with environment overrides; the clock freezes and parses."""
from datetime import datetime, UTC

import pytest

from engine.clock import Clock, parse_instant
from engine.config import load_settings
from engine.workflow import forms


def test_environment_overrides_config_keys_and_database_url():
    settings = load_settings(environ={"CLUEDESK_SERVER_PORT": "8081",
                                      "CLUEDESK_DATABASE_URL": "sqlite:////tmp/x.db",
                                      "CLUEDESK_TIMERS_POLL_SECONDS": "0.5",
                                      "CLUEDESK_CLOCK_NOW": "2026-01-01T08:00:00+08:00"})
    assert settings.server.port == 8081
    assert settings.database.url == "sqlite:////tmp/x.db"
    assert settings.timers.poll_seconds == 0.5
    assert Clock.from_settings(settings).now() == datetime(2026, 1, 1, tzinfo=UTC)


def test_settings_are_frozen():
    settings = load_settings(environ={})
    with pytest.raises(AttributeError):
        settings.server = None
    with pytest.raises(TypeError):
        settings.server._data["port"] = 1


def test_default_database_is_sqlite_under_instance():
    settings = load_settings(environ={})
    assert settings.database.url.startswith("sqlite:///")
    assert settings.database.url.endswith("instance/cluedesk.db")


def test_naive_instants_are_read_in_the_deployment_zone():
    clock = Clock(tz="Asia/Shanghai")
    assert parse_instant("2026-09-28T10:00", clock.tz) == \
        datetime(2026, 9, 28, 2, 0, tzinfo=UTC)
    assert not clock.frozen and clock.now().tzinfo is not None


def test_form_schema_nests_dotted_ids_and_reports_paths():
    schema = forms.form_schema([
        {"id": "person.name", "type": "string", "constraints": {"required": None}},
        {"id": "person.age", "type": "long", "constraints": {"min": "0"}},
    ])
    assert forms.validate(schema, {"person": {"name": "a", "age": 3}}) == {}
    assert forms.validate(schema, {"person": {"age": -1}}) == {
        "person.name": ["required"], "person.age": ["-1 is less than the minimum of 0.0"]}
    assert forms.validate(None, {"x": 1}) == {}
    assert forms.validate(None, [1]) == {"_schema": ["must be a JSON object"]}
