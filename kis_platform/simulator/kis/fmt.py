"""KIS response conventions: every value a string, outputs before rt_cd/msg_cd/msg1, sign codes, errors."""

from __future__ import annotations

import json
from typing import Any

OK_CODE, OK_MSG = "MCA00000", "정상처리 되었습니다."


class KisError(Exception):
    """A KIS error answer: gateway errors (EGW…) come as HTTP 500, business errors as HTTP 200 with rt_cd 1."""

    def __init__(self, msg_cd: str, msg1: str, status: int = 500) -> None:
        super().__init__(f"{msg_cd} {msg1}")
        self.msg_cd, self.msg1, self.status = msg_cd, msg1, status

    def body(self) -> dict[str, str]:
        if self.msg_cd == "EGW00201":  # the real body has this key order
            return {"rt_cd": "1", "msg1": self.msg1, "msg_cd": self.msg_cd}
        return {"rt_cd": "1", "msg_cd": self.msg_cd, "msg1": self.msg1}


RATE_LIMITED = ("EGW00201", "초당 거래건수를 초과하였습니다.")
TOKEN_INVALID = ("EGW00121", "유효하지 않은 token 입니다.")
TOKEN_EXPIRED = ("EGW00123", "기간이 만료된 token 입니다.")
TOKEN_MISSING = ("EGW00122", "token을 찾을 수 없습니다.")  # text approximate (kis-api §4)
BAD_APPKEY = ("EGW00103", "유효하지 않은 AppKey입니다.")  # inferred
BAD_APPSECRET = ("EGW00105", "유효하지 않은 AppSecret입니다.")  # inferred
NO_SERVICE = ("OPSQ0002", "없는 서비스 코드 입니다")  # inferred: unknown tr_id for the path
PAPER_UNSUPPORTED = ("OPSQ0002", "모의투자에서는 해당업무가 제공되지 않습니다.")  # inferred
BAD_INPUT = ("OPSQ2001", "ERROR : INPUT_FIELD_SIZE")  # inferred


def envelope(outputs: dict[str, Any], msg_cd: str = OK_CODE, msg1: str = OK_MSG) -> dict[str, Any]:
    """Outputs first, then the status keys, as in every real body."""
    return {**outputs, "rt_cd": "0", "msg_cd": msg_cd, "msg1": msg1}


def dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def i(x: float | int) -> str:
    return str(int(x))


def f2(x: float) -> str:
    return f"{x:.2f}"


def f4(x: float) -> str:
    s = f"{x:.4f}"
    return s


def sign(diff: float, at_upper: bool = False, at_lower: bool = False) -> str:
    """prdy_vrss_sign: 1 upper limit, 2 up, 3 unchanged, 4 lower limit, 5 down."""
    if at_upper:
        return "1"
    if at_lower:
        return "4"
    return "2" if diff > 0 else "5" if diff < 0 else "3"


def rate(diff: float, base: float) -> str:
    return f2(diff / base * 100) if base else "0.00"


def yyyymmdd(d: Any) -> str:
    return d.strftime("%Y%m%d")
