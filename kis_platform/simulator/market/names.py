"""Names for the simulated market: the default watch list as real-looking large caps, and generated names."""

from __future__ import annotations

# code, Korean name, English name, market, industry, reference price (KRW), listed shares (millions), listing date
LARGE_CAPS: tuple[tuple[str, str, str, str, str, int, float, str], ...] = (
    ("005930", "삼성전자", "Samsung Electronics", "KOSPI", "전기·전자", 71_000, 5969.8, "1975-06-11"),
    ("000660", "SK하이닉스", "SK hynix", "KOSPI", "전기·전자", 255_000, 728.0, "1996-12-26"),
    ("373220", "LG에너지솔루션", "LG Energy Solution", "KOSPI", "전기·전자", 380_000, 234.0, "2022-01-27"),
    ("207940", "삼성바이오로직스", "Samsung Biologics", "KOSPI", "의약품", 1_020_000, 71.2, "2016-11-10"),
    ("005380", "현대차", "Hyundai Motor", "KOSPI", "운수장비", 215_000, 205.0, "1974-06-28"),
    ("000270", "기아", "Kia", "KOSPI", "운수장비", 98_000, 393.0, "1973-07-21"),
    ("068270", "셀트리온", "Celltrion", "KOSPI", "의약품", 182_000, 216.0, "2018-02-09"),
    ("005490", "POSCO홀딩스", "POSCO Holdings", "KOSPI", "철강금속", 305_000, 84.6, "1988-06-10"),
    ("035420", "NAVER", "NAVER", "KOSPI", "서비스업", 201_000, 158.4, "2008-11-28"),
    ("105560", "KB금융", "KB Financial Group", "KOSPI", "금융업", 92_000, 381.5, "2008-10-10"),
    ("055550", "신한지주", "Shinhan Financial Group", "KOSPI", "금융업", 55_000, 500.0, "2001-09-10"),
    ("012330", "현대모비스", "Hyundai Mobis", "KOSPI", "운수장비", 262_000, 92.0, "1989-12-05"),
    ("028260", "삼성물산", "Samsung C&T", "KOSPI", "유통업", 152_000, 169.9, "2014-12-18"),
    ("051910", "LG화학", "LG Chem", "KOSPI", "화학", 305_000, 70.6, "2001-04-25"),
    ("006400", "삼성SDI", "Samsung SDI", "KOSPI", "전기·전자", 248_000, 68.8, "1979-02-27"),
    ("003670", "포스코퓨처엠", "POSCO Future M", "KOSPI", "비금속광물", 152_000, 77.5, "2019-10-17"),
    ("035720", "카카오", "Kakao", "KOSPI", "서비스업", 52_000, 442.0, "2017-07-10"),
    ("032830", "삼성생명", "Samsung Life Insurance", "KOSPI", "보험", 101_000, 200.0, "2010-05-12"),
    ("086790", "하나금융지주", "Hana Financial Group", "KOSPI", "금융업", 66_000, 290.0, "2005-12-12"),
    ("000810", "삼성화재", "Samsung Fire & Marine Insurance", "KOSPI", "보험", 402_000, 47.4, "1975-06-30"),
    ("066570", "LG전자", "LG Electronics", "KOSPI", "전기·전자", 91_000, 163.6, "2002-04-22"),
    ("015760", "한국전력", "Korea Electric Power", "KOSPI", "전기가스업", 30_500, 642.0, "1989-08-10"),
    ("034730", "SK", "SK Inc.", "KOSPI", "서비스업", 162_000, 72.9, "2009-11-11"),
    ("096770", "SK이노베이션", "SK Innovation", "KOSPI", "화학", 112_000, 100.1, "2007-07-25"),
    ("003550", "LG", "LG Corp.", "KOSPI", "서비스업", 81_000, 157.3, "1970-02-13"),
    ("017670", "SK텔레콤", "SK Telecom", "KOSPI", "통신업", 56_000, 214.8, "1989-11-07"),
    ("011200", "HMM", "HMM", "KOSPI", "운수창고업", 20_500, 1025.0, "1995-11-22"),
    ("033780", "KT&G", "KT&G", "KOSPI", "음식료품", 112_000, 126.0, "1999-10-08"),
    ("010130", "고려아연", "Korea Zinc", "KOSPI", "철강금속", 805_000, 20.7, "1990-07-30"),
    ("009150", "삼성전기", "Samsung Electro-Mechanics", "KOSPI", "전기·전자", 151_000, 74.7, "1979-02-27"),
    ("018260", "삼성에스디에스", "Samsung SDS", "KOSPI", "서비스업", 152_000, 77.4, "2014-11-14"),
    ("316140", "우리금융지주", "Woori Financial Group", "KOSPI", "금융업", 20_100, 742.6, "2019-02-13"),
    ("024110", "기업은행", "Industrial Bank of Korea", "KOSPI", "은행", 15_200, 797.4, "2003-12-24"),
    ("259960", "크래프톤", "KRAFTON", "KOSPI", "서비스업", 352_000, 48.3, "2021-08-10"),
    ("030200", "KT", "KT Corp.", "KOSPI", "통신업", 50_500, 250.0, "1998-12-23"),
    ("090430", "아모레퍼시픽", "Amorepacific", "KOSPI", "화학", 121_000, 58.5, "2006-06-29"),
    ("010950", "S-Oil", "S-Oil", "KOSPI", "화학", 61_000, 112.6, "1987-05-27"),
    ("047050", "포스코인터내셔널", "POSCO International", "KOSPI", "유통업", 51_000, 175.9, "1990-10-04"),
    ("036570", "엔씨소프트", "NCSOFT", "KOSPI", "서비스업", 201_000, 21.9, "2003-05-28"),
    ("011170", "롯데케미칼", "Lotte Chemical", "KOSPI", "화학", 71_000, 42.8, "2010-07-16"),
    ("251270", "넷마블", "Netmarble", "KOSPI", "서비스업", 51_000, 86.0, "2017-05-12"),
    ("000100", "유한양행", "Yuhan", "KOSPI", "의약품", 121_000, 80.2, "1962-11-01"),
    ("034020", "두산에너빌리티", "Doosan Enerbility", "KOSPI", "기계", 61_000, 640.0, "2000-10-25"),
    ("009540", "HD한국조선해양", "HD Korea Shipbuilding & Offshore Engineering", "KOSPI", "운수장비", 252_000, 70.8, "1983-08-26"),
    ("086280", "현대글로비스", "Hyundai Glovis", "KOSPI", "운수창고업", 131_000, 75.0, "2005-12-26"),
    ("329180", "HD현대중공업", "HD Hyundai Heavy Industries", "KOSPI", "운수장비", 402_000, 88.8, "2021-09-17"),
    ("352820", "하이브", "HYBE", "KOSPI", "서비스업", 252_000, 41.6, "2020-10-15"),
    ("042700", "한미반도체", "Hanmi Semiconductor", "KOSPI", "기계", 101_000, 95.3, "2005-05-24"),
    ("247540", "에코프로비엠", "EcoPro BM", "KOSDAQ", "일반전기전자", 131_000, 97.8, "2019-03-05"),
    ("196170", "알테오젠", "Alteogen", "KOSDAQ", "제약", 402_000, 53.5, "2014-12-12"),
)

_FIRST = ("한", "대", "동", "세", "삼", "태", "우", "신", "제", "성", "광", "진", "영", "현", "경", "금", "백", "청", "오", "미")
_FIRST_EN = ("Han", "Dae", "Dong", "Se", "Sam", "Tae", "Woo", "Shin", "Je", "Sung",
             "Kwang", "Jin", "Young", "Hyun", "Kyung", "Kum", "Baek", "Cheong", "O", "Mi")
_SECOND = ("빛", "성", "양", "진", "영", "광", "우", "일", "원", "흥")
_SECOND_EN = ("bit", "sung", "yang", "jin", "young", "kwang", "woo", "il", "won", "heung")
# Korean suffix, English suffix, industry
SUFFIXES: tuple[tuple[str, str, str], ...] = (
    ("전자", "Electronics", "전기·전자"), ("반도체", "Semiconductor", "전기·전자"), ("바이오", "Bio", "의약품"),
    ("제약", "Pharmaceutical", "의약품"), ("화학", "Chemical", "화학"), ("정밀", "Precision", "기계"),
    ("건설", "Construction", "건설업"), ("테크", "Tech", "전기·전자"), ("소재", "Materials", "화학"),
    ("에너지", "Energy", "전기가스업"), ("시스템", "Systems", "서비스업"), ("홀딩스", "Holdings", "서비스업"),
    ("산업", "Industrial", "기계"), ("물산", "Trading", "유통업"), ("증권", "Securities", "증권"),
    ("로보틱스", "Robotics", "기계"), ("헬스케어", "Healthcare", "의료정밀"), ("엔터", "Entertainment", "서비스업"),
    ("식품", "Foods", "음식료품"), ("통신", "Telecom", "통신업"), ("철강", "Steel", "철강금속"),
    ("해운", "Shipping", "운수창고업"), ("게임즈", "Games", "서비스업"), ("모빌리티", "Mobility", "운수장비"),
    ("메디칼", "Medical", "의료정밀"), ("인더스트리", "Industry", "기계"),
)
KOSDAQ_SECTIONS = ("우량기업부", "벤처기업부", "중견기업부", "기술성장기업부")


def generated_name(k: int) -> tuple[str, str, str]:
    """The k-th generated (Korean name, English name, industry); unique for k < 5,200."""
    pre, suf = divmod(k, len(SUFFIXES))
    a, b = divmod(pre % (len(_FIRST) * len(_SECOND)), len(_SECOND))
    ko_suf, en_suf, industry = SUFFIXES[suf]
    ko = f"{_FIRST[a]}{_SECOND[b]}{ko_suf}"
    en = f"{_FIRST_EN[a]}{_SECOND_EN[b]} {en_suf}"
    return ko, en, industry


def spac_name(k: int) -> tuple[str, str]:
    """Name of the k-th SPAC (기업인수목적회사), e.g. 대신밸런스제12호스팩."""
    houses = (("대신밸런스", "Daishin Balance"), ("하나금융", "Hana Financial"), ("디비금융", "DB Financial"),
              ("엔에이치", "NH"), ("키움", "Kiwoom"), ("교보", "Kyobo"), ("신한", "Shinhan"), ("유안타", "Yuanta"))
    ko, en = houses[k % len(houses)]
    n = 5 + k // len(houses)
    return f"{ko}제{n}호스팩", f"{en} SPAC No.{n}"
