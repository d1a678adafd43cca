"""The keys of the two bar assets, named once: the bar step, its checks, the after-close run and gap repair
refer to them."""
import dagster as dg

MINUTE_BARS = dg.AssetKey("minute_bars")
FUTURES_MINUTE_BARS = dg.AssetKey("futures_minute_bars")
