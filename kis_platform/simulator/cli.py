"""`kis-platform simulator …`: argument parsing and the uvicorn server."""

from __future__ import annotations

import argparse
import json
import sys

from kis_platform.settings import SettingsError, get_settings
from kis_platform.simulator.clock import parse_instant
from kis_platform.simulator.config import SimConfig
from kis_platform.simulator.faults import FaultError, coerce


def parser(default_port: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kis-platform simulator", description="Simulated KIS and KRX Open APIs.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=default_port)
    p.add_argument("--seed", type=int, default=SimConfig.seed)
    p.add_argument("--clock", choices=("real", "fixed", "accelerated"), default="real")
    p.add_argument("--start", help='instant for fixed/accelerated clocks, e.g. "2026-11-20T09:00:00+09:00"')
    p.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (accelerated)")
    p.add_argument("--env", choices=("real", "paper"), default="real", help="real: 20 req/s; paper: 2 req/s")
    p.add_argument("--app-key", help="require this app key (default: any 36-character key)")
    p.add_argument("--app-secret", help="require this app secret (default: any 180-character secret)")
    p.add_argument("--krx-key", help="require this KRX AUTH_KEY (default: any non-empty key)")
    p.add_argument("--token-lifetime", type=int, default=86_400, help="access token lifetime in seconds")
    p.add_argument("--fault", action="append", default=[], metavar="NAME=VALUE", help="start with a fault (repeatable)")
    return p


def config_from_args(args: argparse.Namespace) -> SimConfig:
    faults = {}
    for item in args.fault:
        name, _, raw = item.partition("=")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        faults[name.strip()] = coerce(name.strip(), value)
    if args.clock != "real" and not args.start:
        raise ValueError(f"--clock {args.clock} needs --start")
    return SimConfig(seed=args.seed, env=args.env, clock=args.clock,
                     start=parse_instant(args.start) if args.start else None, speed=args.speed,
                     app_key=args.app_key, app_secret=args.app_secret, krx_key=args.krx_key,
                     token_lifetime=args.token_lifetime, faults=faults)


def main(argv: list[str]) -> int:
    """Run the simulator until interrupted; returns the exit code."""
    try:
        default_port = get_settings().sim_port
    except SettingsError:
        default_port = 18080
    args = parser(default_port).parse_args(argv)
    try:
        config = config_from_args(args)
    except (ValueError, FaultError) as e:
        print(f"simulator: {e}", file=sys.stderr)
        return 2
    import uvicorn

    from kis_platform.simulator.app import build_app
    from kis_platform.simulator.state import SimState

    state = SimState(config)
    state.market.warm()
    print(f"KIS/KRX simulator on http://{args.host}:{args.port} (seed {config.seed}, clock {config.clock})", flush=True)
    uvicorn.run(build_app(state=state), host=args.host, port=args.port, log_level="warning", lifespan="off")
    return 0
