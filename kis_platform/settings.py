"""Every environment variable the platform reads, in one place.

Values come from the process environment, then from a `.env` file in the working directory (the environment
wins). Invalid values raise `SettingsError` whose message is one line naming the variable and what is expected;
the CLI prints that line and exits non-zero.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

REPO_ROOT = Path(__file__).resolve().parent.parent

KIS_ENVS = ("real", "paper", "sim")
KIS_BASE_URLS = {
    "real": "https://openapi.koreainvestment.com:9443",
    "paper": "https://openapivts.koreainvestment.com:29443",
}
KRX_BASE_URL = "https://data-dbg.krx.co.kr"
KIS_MASTER_URL = "https://new.real.download.dws.co.kr/common/master"

# KOSPI/KOSDAQ large caps; the simulator's market lists the same codes so the default works against it.
DEFAULT_SYMBOLS = (
    "005930,000660,373220,207940,005380,000270,068270,005490,035420,105560,"
    "055550,012330,028260,051910,006400,003670,035720,032830,086790,000810,"
    "066570,015760,034730,096770,003550,017670,011200,033780,010130,009150,"
    "018260,316140,024110,259960,030200,090430,010950,047050,036570,011170,"
    "251270,000100,034020,009540,086280,329180,352820,042700,247540,196170"
)

# Fixed credentials of the real lengths (36 and 180) used against the simulator when none are configured.
SIM_APP_KEY = "PSSIMULATORKEY" + "0" * 22
SIM_APP_SECRET = "SIMSECRET" + "x" * 171


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable and what is expected."""


@dataclass(frozen=True)
class Settings:
    home: Path
    kis_env: str
    kis_app_key: str = field(repr=False)
    kis_app_secret: str = field(repr=False)
    kis_base_url: str
    krx_auth_key: str = field(repr=False)
    krx_base_url: str
    kis_master_url: str
    database_url: str | None = field(repr=False)
    dagster_database_url: str | None = field(repr=False)
    dagster_home: Path
    symbols: tuple[str, ...]
    pg_port: int
    sim_port: int
    ui_port: int
    ui_host: str
    clock: str  # "system", or "simulator": follow the simulator's fixed or accelerated clock (sim mode only)
    minute_buffer_s: float  # wait after a bar closes before fetching it (the user's systems waited 2 s)
    minute_prelaunch_s: float  # launch a minute's run this long before its bar closes (hides run start-up)

    @property
    def embedded(self) -> bool:
        """True when the platform runs its own PostgreSQL server (no DATABASE_URL)."""
        return self.database_url is None

    @property
    def is_sim(self) -> bool:
        return self.kis_env == "sim"

    @property
    def source_tag(self) -> str:
        """Value of the `source` column for KIS rows. Simulated rows say SIM_KIS: never mistaken for real data,
        and still apart from simulated KRX rows (reconciliation compares the two)."""
        return "SIM_KIS" if self.is_sim else "KIS"

    @property
    def krx_source_tag(self) -> str:
        """Value of the `source` column for KRX rows (SIM_KRX from the simulator)."""
        return "SIM_KRX" if self.is_sim else "KRX"

    @property
    def state_dir(self) -> Path:
        """Shared local state (token lease, rate-limit buckets): seen by every process on this machine."""
        return self.home / "state"


def _env() -> dict[str, str]:
    values = {k: v for k, v in dotenv_values(Path.cwd() / ".env").items() if v is not None}
    values.update(os.environ)
    return values


def _int(env: dict[str, str], name: str, default: int, lo: int = 1, hi: int = 65535) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number; expected an integer from {lo} to {hi}") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name}={value} is out of range; expected an integer from {lo} to {hi}")
    return value


def _url(env: dict[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    ok = parts.scheme in schemes and parts.hostname
    if ok and parts.scheme.startswith("postgres"):
        ok = bool(parts.path.strip("/"))
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            ok = False
    if not ok:
        example = "postgresql://user:password@host:5432/dbname" if "postgresql" in schemes else "https://host:port"
        raise SettingsError(f"{name} is malformed; expected a URL like {example}")
    return raw


def _symbols(env: dict[str, str]) -> tuple[str, ...]:
    raw = env.get("KIS_SYMBOLS", "").strip() or DEFAULT_SYMBOLS
    symbols = tuple(s.strip().upper() for s in raw.split(",") if s.strip())
    bad = [s for s in symbols if len(s) != 6 or not s.isalnum()]
    if bad or not symbols:
        raise SettingsError(
            f"KIS_SYMBOLS has invalid codes {bad[:5]}; expected comma-separated 6-character short codes like 005930,0037T0"
        )
    return tuple(dict.fromkeys(symbols))


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read and validate every setting. Raises SettingsError with a one-line, actionable message."""
    env = _env() if env is None else env
    home = Path(env.get("KIS_PLATFORM_HOME", "").strip() or REPO_ROOT / ".kis_platform").expanduser().resolve()

    key, secret = env.get("KIS_APP_KEY", "").strip(), env.get("KIS_APP_SECRET", "").strip()
    kis_env = env.get("KIS_ENV", "").strip().lower() or ("real" if key and secret else "sim")
    if kis_env not in KIS_ENVS:
        raise SettingsError(f"KIS_ENV={kis_env!r} is not valid; expected one of {', '.join(KIS_ENVS)}")
    if kis_env in ("real", "paper"):
        if not key or not secret:
            missing = "KIS_APP_KEY" if not key else "KIS_APP_SECRET"
            raise SettingsError(
                f"{missing} is not set but KIS_ENV={kis_env}; set both KIS_APP_KEY and KIS_APP_SECRET, or use KIS_ENV=sim"
            )
        if len(key) != 36:
            raise SettingsError(f"KIS_APP_KEY has {len(key)} characters; expected the 36-character app key from KIS Developers")
        if len(secret) != 180:
            raise SettingsError(
                f"KIS_APP_SECRET has {len(secret)} characters; expected the 180-character app secret from KIS Developers"
            )
    else:
        key, secret = key or SIM_APP_KEY, secret or SIM_APP_SECRET

    sim_port = _int(env, "KIS_SIM_PORT", 18080)
    sim_url = f"http://127.0.0.1:{sim_port}"
    kis_base_url = _url(env, "KIS_BASE_URL", ("http", "https")) or KIS_BASE_URLS.get(kis_env, sim_url)
    krx_base_url = _url(env, "KRX_BASE_URL", ("http", "https")) or (sim_url if kis_env == "sim" else KRX_BASE_URL)
    krx_key = env.get("KRX_AUTH_KEY", "").strip() or ("SIMKRXKEY" if kis_env == "sim" else "")

    pg_schemes = ("postgresql", "postgres", "postgresql+psycopg")
    database_url = _url(env, "DATABASE_URL", pg_schemes)
    dagster_database_url = _url(env, "DAGSTER_DATABASE_URL", pg_schemes)
    dagster_home = Path(env.get("DAGSTER_HOME", "").strip() or home / "dagster").expanduser().resolve()

    clock = env.get("KIS_PLATFORM_CLOCK", "").strip().lower() or "system"
    if clock not in ("system", "simulator") or (clock == "simulator" and kis_env != "sim"):
        raise SettingsError(f"KIS_PLATFORM_CLOCK={clock!r} is not valid; expected system, or simulator with KIS_ENV=sim")
    minute_buffer_s = _seconds(env, "KIS_MINUTE_BUFFER_S", "2", 0, 30)

    minute_prelaunch_s = _seconds(env, "KIS_MINUTE_PRELAUNCH_S", "25", 0, 55)

    return Settings(
        home=home,
        kis_env=kis_env,
        kis_app_key=key,
        kis_app_secret=secret,
        kis_base_url=kis_base_url.rstrip("/"),
        krx_auth_key=krx_key,
        krx_base_url=krx_base_url.rstrip("/"),
        kis_master_url=(_url(env, "KIS_MASTER_URL", ("http", "https")) or (
            f"{sim_url}/common/master" if kis_env == "sim" else KIS_MASTER_URL)).rstrip("/"),
        database_url=database_url,
        dagster_database_url=dagster_database_url,
        dagster_home=dagster_home,
        symbols=_symbols(env),
        pg_port=_int(env, "KIS_PLATFORM_PG_PORT", 54329),
        sim_port=sim_port,
        ui_port=_int(env, "KIS_PLATFORM_UI_PORT", 3000),
        ui_host=env.get("KIS_PLATFORM_UI_HOST", "").strip() or "127.0.0.1",
        clock=clock,
        minute_buffer_s=minute_buffer_s,
        minute_prelaunch_s=minute_prelaunch_s,
    )


def _seconds(env: dict[str, str], name: str, default: str, low: float, high: float) -> float:
    raw = env.get(name, "").strip() or default
    try:
        value = float(raw)
        if not low <= value <= high:
            raise ValueError
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not valid; expected seconds from {low:g} to {high:g}") from None
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once."""
    return load_settings()
