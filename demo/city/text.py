"""Words for the demo: people, organisations, and what bureaus write in summaries, agreements and notes.

Everything is invented; ID numbers are well-formed (GB 11643 check digit) but belong to nobody.
"""
from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤")
GIVEN = ("建国 建华 建军 国强 国平 志强 志明 志勇 文华 文斌 明 伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 超 秀英 "
         "秀兰 桂英 玉兰 春梅 海燕 金凤 小红 晓东 晓峰 晓燕 立新 立群 德明 德华 永康 永福 长林 长青 根生 水根 "
         "福生 土根 阿毛 美华 美玲 翠花 红霞 卫东 卫国 爱华 爱民 新民 振华 宏伟 海波 雪梅 丹 婷 倩 琳 浩 宇 鑫 "
         "子轩 梓涵 一鸣 欣怡 佳琪 俊杰 雨桐 思远 家豪").split()
# Organisations that are parties, by dispute type ({place}: the village or street, {county}, {town}).
ORGANISATIONS: dict[str, tuple[str, ...]] = {
    "labour": ("江澄市{place}建筑工程有限公司", "江澄{place}纺织有限公司", "江澄市{place}机械制造有限公司",
               "{place}食品有限公司", "江澄{place}电子商务有限公司", "{place}装饰工程有限公司"),
    "property_mgmt": ("{place}物业服务有限公司", "江澄市{town}物业管理有限公司"),
    "medical": ("{county}人民医院", "{county}中医院", "{county}妇幼保健院", "{town}卫生院", "江澄市第一人民医院"),
    "contract": ("江澄市{place}建筑工程有限公司", "{place}农业开发有限公司", "江澄{place}商贸有限公司",
                 "{place}装饰工程有限公司", "江澄市{place}汽车运输有限公司"),
    "consumer": ("{town}家电商场", "江澄{town}汽车销售服务有限公司", "{town}装修建材店", "江澄{town}教育培训学校"),
    "production": ("{place}农业开发有限公司", "{place}农民专业合作社", "江澄市{place}机械制造有限公司"),
    "environment": ("{place}生猪养殖场", "江澄{place}石材加工厂", "江澄市{place}化工有限公司"),
}
INSURERS = ("中国人民财产保险股份有限公司江澄市分公司", "中国平安财产保险股份有限公司江澄中心支公司",
            "中国太平洋财产保险股份有限公司江澄中心支公司")
COURTS = {"339921": "临溪县人民法院", "339902": "江澄市澄东区人民法院", "339923": "云岭县人民法院",
          "339900": "江澄市中级人民法院"}
REGION_PREFIXES = ("339921", "339902", "339923", "330681", "330683", "362323", "420621", "512501", "341024")


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def id_number(rng: random.Random) -> str:
    """A well-formed 18-character resident ID number (region, birth date 1950–2004, sequence, check digit)."""
    if not _BIRTHS:
        _BIRTHS.extend(_days(date(1950, 1, 1), date(2004, 12, 31)))
    (region, region_sum), (born, born_sum) = rng.choice(_REGIONS), rng.choice(_BIRTHS)
    sequence = rng.randrange(1000)
    total = region_sum + born_sum + _SEQUENCE_SUMS[sequence]
    return f"{region}{born}{sequence:03d}" + "10X98765432"[total % 11]


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643


def _weighted_sum(digits: str, offset: int) -> int:
    return sum(int(c) * w for c, w in zip(digits, _WEIGHTS[offset:offset + len(digits)], strict=True))


def _days(first: date, last: date) -> list[tuple[str, int]]:
    """Every birth date between first and last, with its part of the check sum (made once, when first used)."""
    return [(f"{d:%Y%m%d}", _weighted_sum(f"{d:%Y%m%d}", 6))
            for d in map(date.fromordinal, range(first.toordinal(), last.toordinal() + 1))]


_REGIONS = [(r, _weighted_sum(r, 0)) for r in REGION_PREFIXES]
_SEQUENCE_SUMS = [_weighted_sum(f"{n:03d}", 14) for n in range(1000)]
_BIRTHS: list[tuple[str, int]] = []


def phone(rng: random.Random) -> str:
    return rng.choice(("13", "15", "18", "17", "19")) + str(rng.randrange(10)) + f"{rng.randrange(10**8):08d}"


def credit_code(rng: random.Random) -> str:
    """An organisation's unified social credit code (统一社会信用代码): not personal data."""
    return "91" + rng.choice(("339921", "339902", "339923")) + "".join(
        rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(10))


def amount_for(rng: random.Random, dispute_type: str, money_at_stake: bool = False) -> Decimal | None:
    """An amount involved (涉及金额) typical of the dispute type, or None when none is at stake
    (never with `money_at_stake`)."""
    low, high, none_share = AMOUNTS.get(dispute_type, (500, 20000, 0.5))
    if not money_at_stake and rng.random() < none_share:
        return None
    value = low * (high / low) ** (rng.random() ** 1.6)  # most disputes are small, a few are large
    step = 100 if value < 100000 else 1000
    return Decimal(int(value // step * step))


WAGE_ARREARS_PER_WORKER = (2000, 30000)  # yuan: one to several months of a labourer's pay


def story(rng: random.Random, dispute_type: str, names: dict[str, str], place: str) -> tuple[str, Decimal | None]:
    """The summary of a dispute and the amount involved, telling the same story: a summary names an
    amount only when money is at stake (never "0 yuan"), and wages owed to n workers are n workers'
    wages, not one small sum."""
    templates = SUMMARIES.get(dispute_type, SUMMARIES["other"])
    amount = amount_for(rng, dispute_type)
    if amount is None:
        fitting = [t for t in templates if "{amount}" not in t]
        if not fitting:  # every story of this type is about money
            amount = amount_for(rng, dispute_type, money_at_stake=True)
            fitting = list(templates)
    else:
        fitting = list(templates)
    template = rng.choice(fitting)
    workers = rng.randint(3, 40)
    if "{n}" in template and amount is not None:
        low, high = WAGE_ARREARS_PER_WORKER
        amount = Decimal(sum(rng.randint(low // 100, high // 100) for _ in range(workers)) * 100)
    shown = f"{amount:,.0f}" if amount is not None else ""
    return template.format(**names, place=place, amount=shown, n=workers), amount


# low, high, share with no amount at all
AMOUNTS: dict[str, tuple[int, int, float]] = {
    "marriage_family": (2000, 300000, 0.6), "neighbourhood": (200, 20000, 0.55), "housing_land": (5000, 400000, 0.3),
    "contract": (3000, 800000, 0.05), "production": (5000, 600000, 0.1), "damages": (1000, 200000, 0.05),
    "land_forest": (2000, 300000, 0.3), "expropriation": (30000, 1500000, 0.1), "environment": (2000, 300000, 0.3),
    "labour": (2000, 150000, 0.05), "medical": (10000, 900000, 0.05), "property_mgmt": (500, 30000, 0.2),
    "traffic": (3000, 600000, 0.03), "consumer": (300, 50000, 0.1), "other": (500, 50000, 0.5),
}

# Summaries: {a} applicant, {b} respondent, {place} village/community, {amount} amount in yuan.
SUMMARIES: dict[str, tuple[str, ...]] = {
    "marriage_family": (
        "{a}与{b}系夫妻，因家庭琐事长期争吵，{a}提出离婚并要求分割共同财产，双方对子女抚养问题分歧较大。",
        "{a}与其子{b}因赡养问题发生纠纷，{a}年逾七旬，要求{b}按月支付赡养费并承担医疗费用。",
        "{a}与{b}系兄弟，因父母遗留房屋的继承分割问题产生矛盾，多次发生口角。",
        "{a}与{b}离婚后因子女探视及抚养费支付问题再次发生纠纷。",
    ),
    "neighbourhood": (
        "{a}与{b}系{place}邻居，因{b}在屋后新砌围墙堵塞排水沟，雨天积水淹及{a}家院落，双方多次争吵。",
        "{a}反映邻居{b}家装修噪音持续至深夜，影响家人休息，双方协商未果。",
        "{a}与{b}因相邻通行问题发生纠纷，{b}在共用通道堆放杂物，{a}出入受阻。",
        "{a}与{b}因{b}家饲养的狗咬伤{a}发生纠纷，{a}要求赔偿医药费、误工费共计{amount}元。",
        "{a}家楼上{b}家卫生间漏水，致{a}家天花板受损，双方就维修及赔偿问题发生争执。",
    ),
    "housing_land": (
        "{a}与{b}因宅基地界址不清发生争议，{b}翻建房屋时占用{a}家宅基地约二十平方米。",
        "{a}租住{b}房屋，租期未满{b}要求收回房屋，双方就押金及装修补偿发生纠纷，涉及金额{amount}元。",
        "{a}与{b}因房屋买卖过户及尾款{amount}元支付问题发生纠纷。",
    ),
    "contract": (
        "{a}与{b}签订买卖合同，{a}已交付货物，{b}尚欠货款{amount}元逾期未付。",
        "{a}承包{b}的厂房装修工程，竣工后双方就工程款结算发生争议，涉及金额{amount}元。",
        "{a}向{b}出借款项{amount}元，约定期满归还，{b}至今未还。",
        "{a}与{b}签订农村土地承包经营权流转合同，因{b}拖欠流转费用{amount}元发生纠纷。",
    ),
    "production": (
        "{a}与{b}合伙经营养殖场，因利润分配及亏损分担问题发生纠纷，涉及金额{amount}元。",
        "{a}承包的鱼塘因{b}施工排放泥浆导致鱼苗死亡，要求赔偿损失{amount}元。",
        "{a}向{b}购买的种子出苗率低，造成减产，要求赔偿损失{amount}元。",
    ),
    "damages": (
        "{a}与{b}因琐事发生口角后相互推搡，{a}受轻微伤，要求{b}赔偿医疗费、误工费等共计{amount}元。",
        "{b}驾驶电动车在村道上撞倒{a}，致{a}腿部受伤，双方就赔偿问题协商未果，{a}主张{amount}元。",
        "{a}家的耕牛走失后损毁{b}家油菜田，双方就赔偿数额发生争执。",
    ),
    "land_forest": (
        "{a}与{b}因山林界址不清发生纠纷，双方均称对争议林地享有承包经营权。",
        "{a}与{b}因承包田灌溉用水分配问题发生争执，影响春耕生产。",
        "{a}与{b}因土地承包经营权互换后的边界问题发生纠纷。",
    ),
    "expropriation": (
        "{a}对其房屋征收补偿评估结果有异议，认为补偿款{amount}元明显偏低，拒绝签订征收补偿协议。",
        "{a}等村民因征地补偿款在村民小组内部的分配问题与{b}发生纠纷，涉及金额{amount}元。",
        "{a}认为其承包地上青苗及附着物未被足额补偿，与{b}发生争议。",
    ),
    "environment": (
        "{a}等住户反映{b}生产车间夜间噪声及粉尘扰民，要求停产整改并赔偿损失。",
        "{b}养猪场排放的污水流入{a}承包的农田，造成农作物减产，{a}要求赔偿{amount}元。",
    ),
    "labour": (
        "{a}等{n}名工人在{b}承建的工地务工，工程完工后{b}拖欠工资共计{amount}元。",
        "{a}在{b}工作期间受伤，双方就工伤待遇及赔偿问题发生争议，涉及金额{amount}元。",
        "{b}以经营困难为由解除与{a}的劳动合同，{a}要求支付经济补偿金{amount}元。",
    ),
    "medical": (
        "患者{a}在{b}行手术后出现并发症，家属认为医院存在过错，要求赔偿{amount}元，曾聚集于医院门诊大厅。",
        "{a}之父在{b}住院期间死亡，家属对诊疗过程有异议，情绪激动，要求医院赔偿{amount}元。",
        "{a}在{b}就诊时被误诊，延误治疗，要求赔偿医疗费等损失{amount}元。",
    ),
    "property_mgmt": (
        "{b}以{a}拖欠物业服务费{amount}元为由停止为其提供门禁服务，{a}认为小区物业服务不到位拒绝缴费。",
        "{a}停放在小区内的车辆被高空坠物砸损，要求{b}承担赔偿责任{amount}元。",
        "{a}等业主与{b}因小区公共收益的公开及使用问题发生纠纷。",
    ),
    "traffic": (
        "{b}驾驶小型轿车与{a}驾驶的电动自行车相撞，致{a}受伤，交警认定{b}负主要责任，双方就赔偿问题协商未果，{a}主张{amount}元。",
        "{a}驾驶的货车与{b}的车辆发生追尾，双方就车辆维修费及误工损失{amount}元发生争议。",
        "{a}步行时被{b}驾驶的摩托车撞伤，经鉴定构成十级伤残，要求赔偿{amount}元。",
    ),
    "consumer": (
        "{a}在{b}购买的空调安装后频繁故障，要求退货并赔偿损失，商家仅同意维修。",
        "{a}为孩子在{b}报名培训课程并预付学费{amount}元，后机构停课，{a}要求退费。",
        "{a}在{b}购买的车辆存在质量问题，双方就退换及赔偿发生争议，涉及金额{amount}元。",
    ),
    "other": (
        "{a}与{b}因村集体经济组织成员资格认定及分红问题发生争议。",
        "{a}与{b}因婚礼宴席预订定金{amount}元的退还问题发生纠纷。",
    ),
}

TERMS = (
    "{b}于{due}前一次性支付{a}人民币{amount}元，双方就本纠纷再无其他争议。",
    "{b}分两期向{a}支付人民币{amount}元，首期于{due}前支付，余款于其后一个月内付清。",
    "{b}赔偿{a}各项损失共计人民币{amount}元，当场付清，{a}不再追究{b}其他责任。",
)
TERMS_NO_MONEY = (
    "{b}于{due}前拆除堵塞排水沟的围墙并恢复原状，双方今后和睦相处、互谅互让。",
    "双方确认争议界址以本次现场勘定的界桩为准，各自按界管理使用，互不侵犯。",
    "{b}保证今后控制噪音，晚十时后不再施工；{a}对此表示谅解，双方握手言和。",
    "双方同意按协议约定的方式轮流照料老人，赡养费用由子女平均分担。",
)
REJECT_REASONS = {
    "party_refused": "被申请人明确表示拒绝调解（人民调解法第十七条）。",
    "out_of_scope": "该事项属于行政处理范围，不属于人民调解受理范围，已告知当事人向有关部门反映。",
    "already_handled": "该纠纷已由人民法院立案受理，依法不再受理。",
    "other": "申请人未能提供相对方的联系方式及基本情况，经告知后未补充。",
}
FAIL_REASONS = ("双方对赔偿数额分歧较大，经多次调解仍未能达成一致。", "被申请人拒不到场，调解无法继续进行。",
                "当事人坚持诉讼解决，已告知其诉讼权利及时效。", "双方对事实认定争议较大，需经司法鉴定。")
WITHDRAW_REASONS = ("双方已自行和解，申请人申请撤回调解申请。", "申请人已向人民法院起诉，申请撤回。",
                    "申请人因个人原因申请撤回。")
ESCALATE_REASONS = ("涉及金额较大、情况复杂，村调委会调解未果，提请上级调委会调解。",
                    "当事人情绪激动，存在激化风险，依规提级调解。", "涉及多个村组，需由上级调委会统筹协调。")
REASSIGN_REASONS = ("原调解员与当事人有亲属关系，依当事人申请予以回避。", "原调解员因病请假，工作调整。",
                    "案情需要具有专业背景的调解员参与。")
EXTEND_REASONS = ("案情复杂需补充调查，经双方当事人同意延长调解期限。", "等待伤情鉴定结果，双方同意延长调解期限。")
REOPEN_REASONS = ("回访发现协议未按期履行，经双方同意重新调解。", "履行过程中发生新争议，当事人申请重新调解。")
SESSION_PLACES = ("{place}调解室", "{place}村委会会议室", "{town}司法所调解室", "当事人家中", "{place}文化礼堂",
                  "“老娘舅”工作室", "矛盾纠纷调处化解中心")
SESSION_NOTES = ("双方陈述争议事实，调解员释法明理，双方情绪有所缓和。", "调解员分别做双方工作，初步缩小分歧。",
                 "邀请村干部和乡贤参与调解，双方就主要问题达成初步意向。", "现场勘查争议地点，核实相关事实。",
                 "电话联系被申请人，其同意下次到场调解。", "视频连线在外务工的当事人，听取其意见。")
FOLLOW_UP_NOTES = {
    "full": ("已按协议履行完毕，双方关系和睦，对调解工作满意。", "款项已全部付清，当事人表示满意。"),
    "partial": ("已履行部分义务，余款承诺月底前付清。", "已拆除部分障碍物，剩余部分因天气原因延后。"),
    "none": ("被申请人以经济困难为由未履行，申请人情绪较大。", "协议约定事项尚未履行，已督促履行。"),
}
