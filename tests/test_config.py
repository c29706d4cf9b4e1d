"""app.yaml: the shipped file loads; every mistake in it is named with the file, the line and the place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import AppConfig, load_config
from bot.datafile import DataFileError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "app.yaml"


def _write(tmp_path: Path, text: str, name: str = "app.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _shipped_with(tmp_path: Path, old: str, new: str) -> Path:
    """The team's real app.yaml with one edit, written where the test can break it."""
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, f"the shipped app.yaml no longer has {old!r}"
    return _write(tmp_path, text.replace(old, new, 1))


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _error(path: Path) -> DataFileError:
    with pytest.raises(DataFileError) as caught:
        load_config(path, env={})
    return caught.value


def _assert_names(error: DataFileError, path: Path, line: int, place: str) -> None:
    message = str(error)
    assert message.startswith(f"{path}:{line}: {place}: "), message
    assert (error.path, error.line, error.place) == (str(path), line, place)
    assert error.message and error.message[0] != " "


# ---------------------------------------------------------------------------------------------------


def test_the_shipped_app_yaml_loads() -> None:
    config = load_config(SHIPPED, env={})
    assert config.team.name == "Whey to Go"
    assert config.team.timezone == "Europe/London" and str(config.team.tz) == "Europe/London"
    assert {"finance", "support", "communications", "leadership", "marketing"} <= set(config.departments)
    assert config.drafting.provider == "template"
    assert config.retrospective.delay_working_days == 2
    assert (config.retrospective.at.hour, config.retrospective.at.minute) == (10, 0)
    assert config.base_dir == ROOT
    assert config.runbooks_path == ROOT / "runbooks" and config.runbooks_path.is_dir()
    assert config.prompts_path == ROOT / "prompts"


def test_oops_config_names_the_file_when_no_path_is_given(tmp_path: Path) -> None:
    path = _shipped_with(tmp_path, "name: Whey to Go\n", "name: Curds Incorporated\n")
    assert load_config(env={"OOPS_CONFIG": str(path)}).team.name == "Curds Incorporated"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    error = _error(tmp_path / "nope.yaml")
    assert str(error) == f"{tmp_path / 'nope.yaml'}: file not found"


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = _shipped_with(
        tmp_path, "  signature: The Whey to Go team\n", "  signature: [The Whey to Go team\n"
    )
    error = _error(path)
    message = str(error)
    assert message.startswith(f"{path}:"), message
    assert "not valid YAML" in message
    # The parser notices the unclosed bracket where the flow sequence should have ended: at or after
    # the line with the bracket, and never line 1.
    assert error.line is not None and error.line >= _line_of(path, "[The Whey"), message
    assert re.match(rf"^{re.escape(str(path))}:\d+: ", message)


def test_a_tab_indent_is_bad_yaml_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "team:\n  name: x\n\ttimezone: UTC\n")
    error = _error(path)
    assert error.line == 3, str(error)
    assert "not valid YAML" in str(error)


def test_an_unknown_key_is_named_with_its_line(tmp_path: Path) -> None:
    path = _shipped_with(tmp_path, "digest_channel:", "digest_chanel: '#typo'\ndigest_channel:")
    error = _error(path)
    _assert_names(error, path, _line_of(path, "digest_chanel"), "digest_chanel")
    assert "unknown key 'digest_chanel'" in error.message


def test_an_unknown_nested_key_is_named_with_its_place(tmp_path: Path) -> None:
    path = _shipped_with(
        tmp_path, "  timezone: Europe/London\n", "  timezone: Europe/London\n  colour: red\n"
    )
    _assert_names(_error(path), path, _line_of(path, "colour: red"), "team.colour")


def test_a_bad_time_zone_is_named_with_its_line(tmp_path: Path) -> None:
    path = _shipped_with(tmp_path, "timezone: Europe/London", "timezone: Europe/Londn")
    error = _error(path)
    _assert_names(error, path, _line_of(path, "Europe/Londn"), "team.timezone")
    assert "unknown time zone 'Europe/Londn'" in error.message
    assert "IANA" in error.message


def test_a_department_id_with_capitals_is_refused_and_named(tmp_path: Path) -> None:
    path = _shipped_with(tmp_path, "  finance:\n", "  Finance:\n")
    error = _error(path)
    assert str(error).startswith(f"{path}:"), str(error)
    assert error.place.startswith("departments"), str(error)
    # The line of the bad id, or at least of the departments mapping that holds it.
    assert error.line in (_line_of(path, "Finance:"), _line_of(path, "departments:")), str(error)
    assert "'Finance'" in error.message and "lower-case" in error.message


def test_provider_openai_without_a_model_is_named(tmp_path: Path) -> None:
    path = _shipped_with(tmp_path, "  provider: template\n", "  provider: openai\n")
    error = _error(path)
    assert error.place.startswith("drafting"), str(error)
    assert error.line in (_line_of(path, "drafting:"), _line_of(path, "provider: openai")), str(error)
    assert str(error).startswith(f"{path}:{error.line}: {error.place}: ")
    assert "needs a model name" in error.message and "drafting.model" in error.message


def test_provider_openai_with_a_model_loads(tmp_path: Path) -> None:
    path = _shipped_with(tmp_path, "  provider: template\n", "  provider: openai\n  model: gpt-4o-mini\n")
    config = load_config(path, env={})
    assert (config.drafting.provider, config.drafting.model) == ("openai", "gpt-4o-mini")


def test_a_wrong_type_is_named_with_its_line(tmp_path: Path) -> None:
    path = _shipped_with(tmp_path, "  delay_working_days: 2\n", "  delay_working_days: two\n")
    _assert_names(
        _error(path), path, _line_of(path, "delay_working_days: two"), "retrospective.delay_working_days"
    )


def test_a_list_at_the_top_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "- team\n- brand\n")
    assert "expected a mapping" in str(_error(path))


def test_oops_database_url_overrides_the_file(tmp_path: Path) -> None:
    url = "postgresql+psycopg://oops@db.example.com/oops"
    config = load_config(SHIPPED, env={"OOPS_DATABASE_URL": url})
    assert config.database_url == url
    assert config.resolved_database_url() == url
    assert load_config(SHIPPED, env={}).database_url == "sqlite:///oops.db"
    assert load_config(SHIPPED, env={"OOPS_DATABASE_URL": ""}).database_url == "sqlite:///oops.db"


def test_a_relative_sqlite_path_is_relative_to_app_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "team" / "config"
    path = _shipped_with(folder, "database_url: sqlite:///oops.db", "database_url: sqlite:///data/oops.db")
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(path, env={})
    assert config.resolved_database_url() == f"sqlite:///{folder.resolve() / 'data' / 'oops.db'}"
    assert config.runbooks_path == folder.resolve() / "runbooks"
    # The same file read through a relative path from its folder gives the same database.
    monkeypatch.chdir(folder)
    assert load_config("app.yaml", env={}).resolved_database_url() == config.resolved_database_url()


def test_absolute_and_memory_sqlite_urls_are_left_alone(tmp_path: Path) -> None:
    absolute = f"sqlite:///{tmp_path / 'abs.db'}"
    assert load_config(SHIPPED, env={"OOPS_DATABASE_URL": absolute}).resolved_database_url() == absolute
    memory = "sqlite:///:memory:"
    assert load_config(SHIPPED, env={"OOPS_DATABASE_URL": memory}).resolved_database_url() == memory


def _field_names(model: type[BaseModel], prefix: str = "") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        names.append(prefix + name)
        annotation = field.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                names += _field_names(candidate, f"{prefix}{name}.")
    return names


def test_the_config_has_no_place_for_secrets() -> None:
    names = _field_names(AppConfig)
    assert "team.timezone" in names and "drafting.model" in names  # the walk reaches nested models
    secret = [n for n in names if re.search(r"token|secret|password|api_key|apikey|signing", n)]
    assert not secret, f"app.yaml must not hold secrets, but the config has {secret}"


@pytest.mark.parametrize(
    ("where", "key"),
    [("top", "slack_bot_token"), ("top", "slack_signing_secret"), ("drafting", "api_key")],
)
def test_a_secret_in_app_yaml_is_refused_as_unknown(tmp_path: Path, where: str, key: str) -> None:
    if where == "top":
        path = _shipped_with(tmp_path, "digest_channel:", f"{key}: xoxb-not-here\ndigest_channel:")
        place = key
    else:
        path = _shipped_with(
            tmp_path, "  provider: template\n", f"  provider: template\n  {key}: sk-not-here\n"
        )
        place = f"drafting.{key}"
    error = _error(path)
    _assert_names(error, path, _line_of(path, f"{key}:"), place)
    assert "not-here" not in error.message, "the error must not echo the secret back"


def test_a_misspelt_key_suggests_the_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(
        "team:\n  name: X\nbrand:\n  name: B\n  voice: v\n  signature: s\n"
        "departments:\n  finance:\n    label: Finance\n    chanel: '#f'\n"
    )
    with pytest.raises(DataFileError) as caught:
        load_config(path, env={})
    assert str(caught.value).startswith(f"{path}:10: departments.finance.chanel: unknown key 'chanel'")
    assert "did you mean 'channel'?" in str(caught.value)
