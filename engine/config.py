"""Settings: `config.yaml` loaded once into a frozen object, environment variables override."""
from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from engine import settings_schema

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = ROOT / "config.yaml"
# Settings of this installation, over config.yaml: the secrets `cluedesk init-secrets` generates
# (`make run` does on first start). CLUEDESK_LOCAL_CONFIG names another file; empty means none.
LOCAL_CONFIG_FILE = ROOT / "instance" / "local.yaml"
ENV_PREFIX = "CLUEDESK_"
# Values that were shipped or documented as examples: never a secret.
DEFAULT_SECRETS = frozenset({"", "change-me-in-production", "changeme", "secret", "dev"})
MIN_SECRET_LENGTH = 16


class ConfigError(Exception):
    """The configuration cannot be used."""


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _merge(base: dict, extra: Mapping) -> dict:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


class Settings:
    """Read-only view of the configuration; `settings.section.key` or `settings.get(...)`."""

    def __init__(self, data: Mapping[str, Any]):
        object.__setattr__(self, "_data", _freeze(data))

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._data[name]
        except KeyError:
            raise AttributeError(name) from None
        return Settings(value) if isinstance(value, Mapping) else value

    def __setattr__(self, name, value):
        raise AttributeError("settings are frozen")

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def get(self, *path: str, default: Any = None) -> Any:
        value: Any = self._data
        for part in path:
            if not isinstance(value, Mapping) or part not in value:
                return default
            value = value[part]
        return value

    def as_dict(self) -> dict:
        def thaw(v):
            if isinstance(v, Mapping):
                return {k: thaw(x) for k, x in v.items()}
            if isinstance(v, tuple):
                return [thaw(x) for x in v]
            return v
        return thaw(self._data)


def _env_overrides(data: dict, environ: Mapping[str, str]) -> None:
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX):].lower()
        if rest == "database_url":
            data.setdefault("database", {})["url"] = raw
            continue
        for section in data:
            prefix = section.lower() + "_"
            if isinstance(data[section], dict) and rest.startswith(prefix):
                key = rest[len(prefix):]
                try:
                    value = yaml.load(raw, Loader=_LOADER) if raw != "" else ""
                except yaml.YAMLError:
                    value = raw
                data[section][key] = value
                break


# PyYAML's safe loader in C (libyaml, in PyYAML's wheels): config.yaml in ~4 ms instead of ~40
# with the pure-Python one, paid by every command, server start and test runtime.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"configuration file {path} is not a mapping")
    return data


def local_config_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """The installation's local settings file (secrets), or None when switched off."""
    value = (os.environ if environ is None else environ).get("CLUEDESK_LOCAL_CONFIG")
    if value is None:
        return LOCAL_CONFIG_FILE
    return Path(value) if value else None


def load_settings(overrides: Mapping | None = None, *, path: Path | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Load config.yaml, then the local settings file (instance/local.yaml), apply environment
    overrides, then explicit overrides."""
    environ = os.environ if environ is None else environ
    path = Path(environ.get("CLUEDESK_CONFIG", path or DEFAULT_CONFIG_FILE))
    data = _read(path)
    local = local_config_path(environ)
    if local is not None and local.exists():
        _merge(data, _read(local))
    _env_overrides(data, environ)
    if overrides:
        _merge(data, overrides)
    data, problems = settings_schema.check(data)
    if problems:
        raise ConfigError("the configuration has errors (config.yaml, instance/local.yaml or "
                          "CLUEDESK_* variables):\n  " + "\n  ".join(problems))
    if not data["database"]["url"]:
        instance = ROOT / "instance"
        data["database"]["url"] = f"sqlite:///{instance / 'cluedesk.db'}"
    return Settings(data)


def secret_problems(settings: Settings) -> list[str]:
    """Why these settings must not serve: a default, empty or short session secret or audit
    key (anyone who knows it forges logins or rewrites the audit trail)."""
    problems = []
    for (section, key), what, env in (
            (("server", "secret_key"), "the session secret", "CLUEDESK_SERVER_SECRET_KEY"),
            (("audit", "key"), "the audit key", "CLUEDESK_AUDIT_KEY")):
        value = str(settings.get(section, key, default="") or "")
        if value.strip().lower() in DEFAULT_SECRETS:
            problems.append(f"{what} ({section}.{key}) is empty or a published default")
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(f"{what} ({section}.{key}) is shorter than {MIN_SECRET_LENGTH} "
                            "characters")
        else:
            continue
        problems[-1] += (f": set {env} to a long random value, or run `cluedesk init-secrets` "
                         "to write random ones into instance/local.yaml")
    return problems
