"""The demo jurisdiction (演示辖区): 江澄市, its counties, townships, villages and committees, as data.

Codes follow the shape of the statistical division codes (区划代码): 6 digits for the city and
its counties, 9 for townships and streets (街道 001–099, 镇 101–199, 乡 201–), 12 for villages
and communities (社区 001–, 村 201–). The places are invented. Committee codes are pinyin
initials, county-township-village, so case numbers read like the bureaus' own
（2026）LX-CG-FQ调字第00042号.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

CITY = ("339900", "江澄市", "JC")

# county code, name, initials, townships: (code suffix, name, initials, villages: (suffix, name, initials))
COUNTIES: list[tuple[str, str, str, list[tuple[str, str, str, list[tuple[str, str, str]]]]]] = [
    ("339921", "临溪县", "LX", [
        ("101", "城关镇", "CG", [("201", "枫桥村", "FQ"), ("202", "石门村", "SM"), ("203", "东关村", "DG"),
                                ("204", "南塘村", "NT"), ("205", "柳湾村", "LW"), ("001", "城北社区", "CB")]),
        ("102", "溪口镇", "XK", [("201", "溪口村", "XK"), ("202", "上溪村", "SX"), ("203", "下溪村", "XX"),
                                ("204", "龙潭村", "LT"), ("205", "竹林村", "ZL")]),
        ("103", "梅岭镇", "ML", [("201", "梅岭村", "ML"), ("202", "高坪村", "GP"), ("203", "杨家坞村", "YJ"),
                                ("204", "松岗村", "SG"), ("205", "桃源村", "TY")]),
        ("104", "金盆镇", "JP", [("201", "金盆村", "JP"), ("202", "马鞍村", "MA"), ("203", "石桥村", "SQ"),
                                ("204", "凤凰村", "FH"), ("205", "荷花村", "HH"), ("206", "青石村", "QS")]),
        ("201", "双河乡", "SH", [("201", "双河村", "SH"), ("202", "鹿鸣村", "LM"), ("203", "黄泥岗村", "HN"),
                                ("204", "茶园村", "CY")]),
    ]),
    ("339902", "澄东区", "CD", [
        ("001", "城南街道", "CN", [("001", "南门社区", "NM"), ("002", "桂花社区", "GH"), ("003", "清风社区", "QF"),
                                  ("004", "学府社区", "XF")]),
        ("002", "江滨街道", "JB", [("001", "滨江社区", "BJ"), ("002", "望江社区", "WJ"), ("003", "码头社区", "MT"),
                                  ("004", "新河社区", "XH")]),
        ("003", "文昌街道", "WC", [("001", "文昌社区", "WC"), ("002", "书院社区", "SY"), ("003", "翠苑社区", "CY"),
                                  ("004", "锦绣社区", "JX"), ("005", "枫林社区", "FL")]),
        ("101", "新桥镇", "XQ", [("201", "新桥村", "XQ"), ("202", "石塘村", "ST"), ("203", "沙湾村", "SW"),
                                ("204", "上林村", "SL"), ("205", "下埠村", "XB")]),
        ("102", "白鹭镇", "BL", [("201", "白鹭村", "BL"), ("202", "鹭洲村", "LZ"), ("203", "芦荡村", "LD"),
                                ("204", "前进村", "QJ")]),
    ]),
    ("339923", "云岭县", "YL", [
        ("101", "岭南镇", "LN", [("201", "岭南村", "LN"), ("202", "白云村", "BY"), ("203", "中坪村", "ZP"),
                                ("204", "大坝村", "DB"), ("205", "云峰村", "YF")]),
        ("102", "清水镇", "QS", [("201", "清水村", "QS"), ("202", "河口村", "HK"), ("203", "新民村", "XM"),
                                ("204", "团结村", "TJ"), ("205", "光明村", "GM")]),
        ("103", "古城镇", "GC", [("201", "古城村", "GC"), ("202", "北门村", "BM"), ("203", "南岭村", "NL"),
                                ("204", "东山村", "DS"), ("205", "西坡村", "XP"), ("206", "长乐村", "CL")]),
        ("201", "太平乡", "TP", [("201", "太平村", "TP"), ("202", "安乐村", "AL"), ("203", "福田村", "FT"),
                                ("204", "和平村", "HP")]),
        ("202", "石湖乡", "SH", [("201", "石湖村", "SH"), ("202", "湖滨村", "HB"), ("203", "仙岩村", "XY"),
                                ("204", "樟树村", "ZS")]),
    ]),
]

# 行业性专业性人民调解委员会 at county level: code suffix, name, specialties (dispute types)
PROFESSIONAL: dict[str, list[tuple[str, str, list[str]]]] = {
    "LX": [("YLTW", "医疗纠纷人民调解委员会", ["medical"]),
           ("LDTW", "劳动争议人民调解委员会", ["labour"]),
           ("JTTW", "道路交通事故人民调解委员会", ["traffic"]),
           ("ZCTW", "征地拆迁纠纷人民调解委员会", ["expropriation", "land_forest"])],
    "CD": [("YLTW", "医疗纠纷人民调解委员会", ["medical"]),
           ("JTTW", "道路交通事故人民调解委员会", ["traffic"]),
           ("WYTW", "物业纠纷人民调解委员会", ["property_mgmt"]),
           ("LDTW", "劳动争议人民调解委员会", ["labour"]),
           ("XFTW", "消费纠纷人民调解委员会", ["consumer"])],
    "YL": [("YLTW", "医疗纠纷人民调解委员会", ["medical"]),
           ("JTTW", "道路交通事故人民调解委员会", ["traffic"]),
           ("SLTW", "山林土地纠纷人民调解委员会", ["land_forest"])],
}

# The demo's own deadline policy, one org's worth, so the policy page shows inheritance at work.
POLICIES: dict[str, dict] = {"339902": {"follow_up_days": 10, "remind_before_days": [5, 1]}}

# Named accounts that log in with the demo password (DEMO_LOGINS below lists them).
# username, display name, role, org code (supervisors) or committee code (mediators), what it is
NAMED_USERS: list[tuple[str, str, str, Optional[str], str]] = [
    ("admin", "系统管理员", "admin", None, "系统管理员 · 全部机构 (administrator, every org)"),
    ("zhou.jc", "周建成", "supervisor", "339900", "监督员 · 江澄市司法局 (city supervisor)"),
    ("wu.lx", "吴丽霞", "supervisor", "339921", "监督员 · 临溪县司法局 (county supervisor)"),
    ("lin.cd", "林春东", "supervisor", "339902", "监督员 · 澄东区司法局 (county supervisor)"),
    ("chen.cg", "陈常贵", "supervisor", "339921101", "监督员 · 临溪县城关镇司法所 (township supervisor)"),
    ("zhang.tj", "张铁军", "mediator", "LX-CG-FQ", "调解员 · 城关镇枫桥村人民调解委员会 (village)"),
    ("li.sm", "李淑梅", "mediator", "LX-CG-SM", "调解员 · 城关镇石门村人民调解委员会 (village)"),
    ("ma.nm", "马宁敏", "mediator", "CD-CN-NM", "调解员 · 城南街道南门社区人民调解委员会 (community)"),
    ("wang.cg", "王长根", "mediator", "LX-CG", "调解员 · 临溪县城关镇人民调解委员会 (township)"),
    ("liu.lx", "刘立新", "mediator", "LX", "调解员 · 临溪县人民调解委员会 (county)"),
    ("zhao.yl", "赵雅丽", "mediator", "LX-YLTW", "调解员 · 临溪县医疗纠纷人民调解委员会 (professional)"),
    ("sun.ld", "孙立东", "mediator", "LX-LDTW", "调解员 · 临溪县劳动争议人民调解委员会 (professional)"),
    ("he.jt", "何金涛", "mediator", "CD-JTTW", "调解员 · 澄东区道路交通事故人民调解委员会 (professional)"),
    ("xu.wy", "许文远", "mediator", "CD-WYTW", "调解员 · 澄东区物业纠纷人民调解委员会 (professional)"),
    ("gao.jc", "高建春", "mediator", "JC", "调解员 · 江澄市人民调解委员会 (city)"),
]
EMAIL_DOMAIN = "demo.example.org"  # reserved for documentation (RFC 2606): nothing is ever delivered there


@dataclass
class OrgSpec:
    code: str
    name: str
    level: str
    parent: Optional[str]
    title: str  # the office supervisors sit in: 司法局 / 司法所


@dataclass
class CommitteeSpec:
    code: str
    name: str
    org: str
    kind: str
    specialties: list[str]
    mediators: int  # how many mediators it has
    weight: float  # its share of the demo's intake, relative


@dataclass
class Jurisdiction:
    orgs: list[OrgSpec] = field(default_factory=list)
    committees: list[CommitteeSpec] = field(default_factory=list)


def jurisdiction() -> Jurisdiction:
    """The demo's orgs (root first) and committees, as plain specs."""
    j = Jurisdiction()
    city_code, city_name, city_abbr = CITY
    j.orgs.append(OrgSpec(city_code, city_name, "city", None, f"{city_name}司法局"))
    j.committees.append(CommitteeSpec(city_abbr, f"{city_name}人民调解委员会", city_code, "people", [], 3, 0.4))
    for county_code, county_name, county_abbr, townships in COUNTIES:
        j.orgs.append(OrgSpec(county_code, county_name, "county", city_code, f"{county_name}司法局"))
        j.committees.append(CommitteeSpec(county_abbr, f"{county_name}人民调解委员会", county_code, "people", [],
                                          4, 2.0))
        for suffix, name, specialties in PROFESSIONAL.get(county_abbr, []):
            weight = 1.5 if "medical" in specialties or "traffic" in specialties else 1.2
            j.committees.append(CommitteeSpec(f"{county_abbr}-{suffix}", f"{county_name}{name}", county_code,
                                              "professional", specialties, 3, weight))
        for t_suffix, t_name, t_abbr, villages in townships:
            t_code = county_code + t_suffix
            j.orgs.append(OrgSpec(t_code, t_name, "township", county_code, f"{county_name}{t_name}司法所"))
            j.committees.append(CommitteeSpec(f"{county_abbr}-{t_abbr}", f"{county_name}{t_name}人民调解委员会",
                                              t_code, "people", [], 3, 3.0))
            for v_suffix, v_name, v_abbr in villages:
                v_code = t_code + v_suffix
                j.orgs.append(OrgSpec(v_code, v_name, "village", t_code, f"{t_name}{v_name}"))
                # the seat of the county (城关) and the urban streets see more disputes
                weight = 1.6 if t_abbr in ("CG", "CN", "JB", "WC") else 1.0
                if v_abbr in ("FQ", "SM", "NM"):  # the named mediators' committees get a full caseload
                    weight = 5.0
                j.committees.append(CommitteeSpec(f"{county_abbr}-{t_abbr}-{v_abbr}",
                                                  f"{t_name}{v_name}人民调解委员会", v_code, "people", [],
                                                  3 if weight > 1 else 2, weight))
    return j

DEMO_PASSWORD = "Demo-pass-2026"
DEMO_LOGINS: list[tuple[str, str]] = [(username, what) for username, _, _, _, what in NAMED_USERS] + [
    ("(others)", "every other demo mediator (<committee code>.N, e.g. lx-xk-sx.1) and supervisor "
                 "(<code>.sfs / .sfj) logs in with the same password"),
]
