"""Load settings: default YAML, optional overrides, ${ENV} substitution, cattrs structuring.

Every failure is a ConfigError naming the file and dotted key it came from, e.g.
``config/risk.yaml: limits.max_positon_weight: unknown key``. A file that holds nothing (empty,
only comments, or `null`) is not an error, since it overrides nothing, but it is most likely a
mistake (an unsaved editor, the wrong file), so it is a warning: ``override.yaml is empty;
using the defaults``.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml
from cattrs import Converter
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)

import quantcli
from quantcli.domain.errors import ConfigError
from quantcli.entrypoints.settings.converter import UnreadableValueError, make_converter
from quantcli.entrypoints.settings.schema import InvalidSettingError, Settings

SECTIONS = ("quantcli", "data_sources", "models", "risk", "backtest", "trading")
CONFIG_ENV_VAR = "QUANTCLI_CONFIG"
DEFAULT_CONFIG_DIR = Path(quantcli.__file__).resolve().parent.parent / "config"

KeyPath = tuple[str | int, ...]
Warn = Callable[[str], None]


class ConfigWarning(UserWarning):
    """A configuration that loads but probably does not say what its author meant."""


def _python_warning(message: str) -> None:
    warnings.warn(message, ConfigWarning, stacklevel=4)


# ${VAR} or ${VAR:-default}; like the shell, the default also replaces an empty value.
_SUBSTITUTION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


@attrs.frozen
class _Source:
    """A YAML file as named in messages; `sectioned` when its top-level keys are section names."""

    name: str
    sectioned: bool

    def locate(self, path: KeyPath) -> str:
        """'file: dotted.key' for a path that starts with the section name."""
        inside = path if self.sectioned else path[1:]
        return f"{self.name}: {_dotted(inside) or '(top level)'}"


_CONVERTER: Converter = make_converter()


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as text, for the date hook to parse with a keyed error."""


def _timestamp_as_text(loader: _YamlLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


# PyYAML's own date constructor raises a bare ValueError, with no file or key, on 2016-13-01.
_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Warn | None = None,
) -> Settings:
    """Defaults from config/, overridden by `path` (else $QUANTCLI_CONFIG): a directory or file.

    `warn` receives each warning (an empty file); by default they are Python ConfigWarnings.
    """
    environ = os.environ if environ is None else environ
    warn = _python_warning if warn is None else warn
    if path is None and environ.get(CONFIG_ENV_VAR):
        path = Path(environ[CONFIG_ENV_VAR])
        if not path.exists():
            raise ConfigError(f"{CONFIG_ENV_VAR}={path}: no such file or directory")
    documents = _default_documents(warn)
    if path is not None:
        documents += _override_documents(Path(path), warn)

    merged: dict[str, Any] = {}
    provenance: dict[KeyPath, _Source] = {}
    for source, document in documents:
        _merge(merged, _substitute(document, environ, source, ()), source, provenance, ())
    try:
        return _CONVERTER.structure(merged, Settings)
    except Exception as exc:
        lines = [
            f"{_source_of(where, provenance).locate(where)}: {problem}"
            for where, problem in _problems(exc, ())
        ]
        raise ConfigError("\n".join(lines)) from exc


# --- reading files ----------------------------------------------------------------------------


def _default_documents(warn: Warn) -> list[tuple[_Source, dict[str, Any]]]:
    if not DEFAULT_CONFIG_DIR.is_dir():
        raise ConfigError(f"{DEFAULT_CONFIG_DIR}: default config directory is missing")
    return _section_documents(DEFAULT_CONFIG_DIR, warn, required=True)


def _override_documents(path: Path, warn: Warn) -> list[tuple[_Source, dict[str, Any]]]:
    if path.is_dir():
        known = {f"{section}.yaml" for section in SECTIONS}
        strays = sorted(
            p.name for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.name not in known
        )
        if strays:
            raise ConfigError(
                f"{_display(path / strays[0])}: unknown config file "
                f"(expected any of {', '.join(sorted(known))})"
            )
        return _section_documents(path, warn, required=False)
    if path.is_file():
        source = _Source(_display(path), sectioned=True)
        return [(source, _read_mapping(path, source, warn))]
    raise ConfigError(f"{path}: override config path does not exist")


def _section_documents(
    directory: Path, warn: Warn, *, required: bool
) -> list[tuple[_Source, dict[str, Any]]]:
    documents = []
    for section in SECTIONS:
        file = directory / f"{section}.yaml"
        if not file.is_file():
            if required:
                raise ConfigError(f"{_display(file)}: default config file is missing")
            continue
        source = _Source(_display(file), sectioned=False)
        documents.append((source, {section: _read_mapping(file, source, warn)}))
    return documents


def _read_mapping(file: Path, source: _Source, warn: Warn) -> dict[str, Any]:
    try:
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(f"{source.name}: {where}invalid YAML: {exc.problem}") from exc
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source.name}: cannot read: {exc}") from exc
    if data is None:  # empty, all comments or `null`: it overrides nothing
        warn(f"{source.name} is empty; using the defaults")
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source.name}: top level is a {type(data).__name__}, expected a mapping of keys"
        )
    return data


def _display(path: Path) -> str:
    """A path as short as stays unambiguous: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- substitution and merging -----------------------------------------------------------------


def _substitute(value: Any, environ: Mapping[str, str], source: _Source, path: KeyPath) -> Any:
    """The document with ${VAR} / ${VAR:-default} replaced in every string (keys made strings)."""
    if isinstance(value, dict):
        return {str(k): _substitute(v, environ, source, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, environ, source, (*path, i)) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match["name"], match["default"]
        found = environ.get(name)
        if found:
            return found
        if default is not None:
            return default
        if found is not None:  # set but empty, and no default asked for
            return found
        raise ConfigError(
            f"{source.locate(path)}: environment variable {name} is not set and has no default"
        )

    result = _SUBSTITUTION.sub(replace, value)
    if "${" in _SUBSTITUTION.sub("", value):
        raise ConfigError(
            f"{source.locate(path)}: malformed substitution in {value!r}; "
            "use ${VAR} or ${VAR:-default}"
        )
    return result


def _merge(
    base: dict[str, Any],
    override: Mapping[str, Any],
    source: _Source,
    provenance: dict[KeyPath, _Source],
    prefix: KeyPath,
) -> None:
    """Deep-merge `override` into `base`: mappings merge, lists and scalars replace."""
    for key, value in override.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            provenance.setdefault(path, source)
            _merge(base[key], value, source, provenance, path)
            continue
        base[key] = value
        for stale in [p for p in provenance if p[: len(path)] == path]:
            del provenance[stale]
        provenance[path] = source


# --- error messages ---------------------------------------------------------------------------


def _problems(exc: BaseException, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """(key path, what is wrong) for every leaf of a cattrs exception tree."""
    if isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields, key=str):
            yield (*path, key), "unknown key"
    elif isinstance(exc, ClassValidationError):
        with_attribute, bare = exc.group_exceptions()
        for sub, attribute_note in with_attribute:
            yield from _problems(sub, (*path, attribute_note.name))
        for sub in bare:
            yield from _problems(sub, path)
    elif isinstance(exc, IterableValidationError):
        with_index, bare = exc.group_exceptions()
        for sub, index_note in with_index:
            yield from _problems(sub, (*path, index_note.index))
        for sub in bare:
            yield from _problems(sub, path)
    elif isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            yield from _problems(member, path)
    elif isinstance(exc, InvalidSettingError):
        yield (*path, *_parse_key(exc.key)), exc.problem
    elif isinstance(exc, UnreadableValueError):
        yield path, exc.problem
    else:
        yield path, f"invalid value ({type(exc).__name__}: {exc})"


def _source_of(path: KeyPath, provenance: Mapping[KeyPath, _Source]) -> _Source:
    """The file that set the longest prefix of `path`."""
    for end in range(len(path), 0, -1):
        if path[:end] in provenance:
            return provenance[path[:end]]
    return _Source("settings", sectioned=True)


def _parse_key(key: str) -> KeyPath:
    """'features.sma_periods[2]' → ('features', 'sma_periods', 2)."""
    parts = re.findall(r"[^.\[]+|\[\d+\]", key)
    return tuple(int(part[1:-1]) if part.startswith("[") else part for part in parts)


def _dotted(path: KeyPath) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
