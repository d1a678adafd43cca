"""Settings: every variable read in one place; bad values give one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from kis_platform.settings import SIM_APP_KEY, SettingsError, load_settings


def test_defaults_are_sim_with_embedded_database(tmp_path: Path) -> None:
    s = load_settings({"KIS_PLATFORM_HOME": str(tmp_path)})
    assert s.kis_env == "sim" and s.is_sim and (s.source_tag, s.krx_source_tag) == ("SIM_KIS", "SIM_KRX")
    assert s.embedded and s.database_url is None
    assert s.kis_app_key == SIM_APP_KEY and len(s.kis_app_key) == 36 and len(s.kis_app_secret) == 180
    assert s.kis_base_url == f"http://127.0.0.1:{s.sim_port}"
    assert s.dagster_home == tmp_path / "dagster"
    assert len(s.symbols) == 50 and "005930" in s.symbols


def test_keys_select_real_and_secrets_stay_out_of_repr() -> None:
    key, secret = "K" * 36, "S" * 180
    s = load_settings({"KIS_APP_KEY": key, "KIS_APP_SECRET": secret})
    assert s.kis_env == "real" and (s.source_tag, s.krx_source_tag) == ("KIS", "KRX")
    assert s.kis_base_url == "https://openapi.koreainvestment.com:9443"
    assert key not in repr(s) and secret not in repr(s)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KIS_ENV": "live"}, "KIS_ENV='live' is not valid; expected one of real, paper, sim"),
        ({"KIS_ENV": "real"}, "KIS_APP_KEY is not set but KIS_ENV=real"),
        ({"KIS_ENV": "paper", "KIS_APP_KEY": "x" * 36}, "KIS_APP_SECRET is not set"),
        ({"KIS_ENV": "real", "KIS_APP_KEY": "x" * 10, "KIS_APP_SECRET": "y" * 180}, "KIS_APP_KEY has 10 characters"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL is malformed"),
        ({"DATABASE_URL": "postgresql://u@h:99999/db"}, "DATABASE_URL is malformed"),
        ({"DATABASE_URL": "postgresql://u@h:5432"}, "DATABASE_URL is malformed"),
        ({"KIS_PLATFORM_PG_PORT": "x"}, "KIS_PLATFORM_PG_PORT='x' is not a whole number"),
        ({"KIS_PLATFORM_UI_PORT": "70000"}, "KIS_PLATFORM_UI_PORT=70000 is out of range"),
        ({"KIS_SYMBOLS": "005930,12"}, "KIS_SYMBOLS has invalid codes ['12']"),
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_dotenv_is_read_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("KIS_SYMBOLS=005930,0037T0\nKIS_SIM_PORT=19000\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KIS_SIM_PORT", "19001")
    monkeypatch.delenv("KIS_SYMBOLS", raising=False)
    s = load_settings()
    assert s.symbols == ("005930", "0037T0")
    assert s.sim_port == 19001
