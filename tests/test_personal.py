"""Personal data (个人信息): resident IDs and phone numbers validated on entry, masked on the way out,
never in logs."""
from __future__ import annotations

import io
import logging

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from mediation.common.errors import ValidationError
from mediation.common.personal import (
    id_number_problem,
    mask_id_number,
    mask_phone,
    normalise_id_number,
    normalise_phone,
    phone_problem,
    redact,
)
from mediation.extensions import db
from mediation.infra.logs import RedactingFilter
from mediation.models import CaseCounter, Dispute, Event, Party
from tests import factories
from tests.core_helpers import NOW, T0, register, step

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_digit(first17: str) -> str:
    """Completes 17 digits with the GB 11643 check character."""
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


@pytest.mark.parametrize("value", [*factories.VALID_IDS, with_check_digit("44030419991231123"),
                                   " 330102198001010018 ", "11010519491231002x"])
def test_valid_resident_ids(value):
    assert id_number_problem(value) is None


def test_an_id_ending_in_x():
    x = next(v for v in (with_check_digit(f"1101051949123100{n}") for n in range(10)) if v.endswith("X"))
    assert id_number_problem(x) is None and id_number_problem(x.lower()) is None
    assert normalise_id_number(x.lower()) == x


@pytest.mark.parametrize("value, problem", [
    ("330102198001010017", "check digit"),  # the last digit is wrong
    ("11010519491231002Y", "18 characters"),
    ("110105194912310021", "check digit"),
    (with_check_digit("11010519490230002")[:17] + "0", "not a date"),  # 30 February
    (with_check_digit("11010519491332002"), "not a date"),  # month 13
    (with_check_digit("11010518991231002"), "out of range"),  # before 1900
    (with_check_digit("11010520991231002"), "out of range"),  # born in the future
    ("33010219800101001", "18 characters"),  # 17 characters
    ("3301021980010100188", "18 characters"),
    ("33010219800101001Ｘ", "18 characters"),
    ("", "18 characters"),
    ("３３０１０２１９８００１０１００１８", "18 characters"),  # full-width digits
])
def test_invalid_resident_ids(value, problem):
    assert problem in (id_number_problem(value) or "")


@pytest.mark.parametrize("value, normal", [
    ("13800138000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("+86-13800138000", "13800138000"),
    ("008613912345678", "13912345678"),
    ("138-0013-8000", "13800138000"),
    ("(0571) 88888888", "057188888888"),
    ("0571-88888888", "0571-88888888"),
    ("19912345678", "19912345678"),
])
def test_valid_phone_numbers(value, normal):
    assert phone_problem(value) is None
    assert normalise_phone(value) == normal


@pytest.mark.parametrize("value", ["12345678901", "1380013800", "138001380001", "23800138000", "phone", "",
                                   "+1 415 555 0100", "110"])
def test_invalid_phone_numbers(value):
    assert phone_problem(value)


def test_masking_helpers():
    assert mask_id_number("330102198001010018") == "3301**********0018"
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("0571-88888888") == "057******8888"
    for helper in (mask_id_number, mask_phone):
        assert helper(None) is None and helper("") == ""
    assert mask_id_number("1234") == "****" and mask_phone("12345") == "*****"


@pytest.mark.parametrize("text, gone, shown", [
    ("申请人张三，身份证号330102198001010018，电话13912345678。", ["330102198001010018", "13912345678"],
     ["3301**********0018", "139****5678"]),
    ("id 11010519491231002x tel +8613800138000", ["11010519491231002x", "13800138000"],
     ["1101**********002X", "138****8000"]),
    ("phones: 138 0013 8000 / 138-0013-8000 / 0086 13800138000", ["0013", "13800138000", "0086"], ["138****8000"]),
    ("全角：３３０１０２１９８００１０１００１８", [], []),  # not a resident ID (validation refuses it too)
])
def test_redact_masks_ids_and_mobiles_in_free_text(text, gone, shown):
    out = redact(text)
    for raw in gone:
        assert raw not in out
    for masked in shown:
        assert masked in out


@pytest.mark.parametrize("text", ["金额 1200.00 元", "（2026）C0001调字第00042号", "2026-03-02 09:00", "订单 12345678901234567890",
                                  "编号 23800138000", None, ""])
def test_redact_leaves_other_numbers_alone(text):
    assert redact(text) == text


# -- registration refuses bad personal data and writes nothing ----------------------------------------
@pytest.mark.parametrize("party, field, message", [
    ({"id_number": "330102198001010017"}, "parties.0.id_number", "check digit"),
    ({"id_number": "1101051949123"}, "parties.0.id_number", "18 characters"),
    ({"id_number": 330102198001010018}, "parties.0.id_number", "must be text"),
    ({"phone": "12345"}, "parties.0.phone", "mainland mobile"),
    ({"phone": 13800138000}, "parties.0.phone", "must be text"),
])
def test_registering_with_bad_personal_data(world, party, field, message):
    parties = factories.party_list()
    parties[0] = {**parties[0], **party}
    counts = _counts()
    with pytest.raises(ValidationError) as caught:
        factories.make_dispute(world.cv1, at=NOW, parties=parties)
    assert caught.value.code == "validation_error"
    assert list(caught.value.fields) == [field] and gettext(message) in caught.value.fields[field][0]  # in the default language, Chinese
    assert _counts() == counts


def test_registering_reports_every_bad_party_by_its_path(world):
    parties = factories.party_list(3)
    parties[1] = {**parties[1], "id_number": "330102198001010017", "phone": "999"}
    parties[2] = {**parties[2], "id_number": "9" * 19}  # an organisation's code is not checked, but is bounded
    with pytest.raises(ValidationError) as caught:
        factories.make_dispute(world.cv1, at=NOW, parties=parties)
    assert set(caught.value.fields) == {"parties.1.id_number", "parties.1.phone", "parties.2.id_number"}


def test_personal_data_is_stored_normalised(world):
    parties = factories.party_list(3)
    parties[0] = {**parties[0], "id_number": "11010519491231002x", "phone": "+86 138-0013-8000"}
    parties[2] = {**parties[2], "id_number": "91330102MA2XXXXX0X"}
    d = factories.make_dispute(world.cv1, at=NOW, parties=parties)
    stored = db.session.scalars(select(Party).where(Party.dispute_id == d.id).order_by(Party.id)).all()
    assert (stored[0].id_number, stored[0].phone) == ("11010519491231002X", "13800138000")
    assert stored[2].id_number == "91330102MA2XXXXX0X"


def _counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Dispute, Party, Event, CaseCounter))


# -- logs ---------------------------------------------------------------------------------------------
RAW_ID, RAW_PHONE = factories.VALID_IDS[1], "13912345678"


def test_any_logger_is_redacted(app, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("mediation.disputes.cases", "some.library", "celery.worker", "werkzeug", ""):
        logging.getLogger(name).warning("party %s phone %s", RAW_ID, RAW_PHONE)
    logging.getLogger("gunicorn.error").info(f"inline {RAW_ID} and {RAW_PHONE}")
    assert len(caplog.records) == 6
    assert RAW_ID not in caplog.text and RAW_PHONE not in caplog.text
    assert caplog.text.count("3301**********0018") == 6 and caplog.text.count("139****5678") == 6
    for record in caplog.records:
        assert RAW_ID not in record.getMessage()


def test_tracebacks_and_late_handlers_are_redacted(app, caplog):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # a handler added after the app was made (no filter of ours on it)
    log = logging.getLogger("a.late.module")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise ValueError(f"bad party {RAW_ID} / {RAW_PHONE}")
        except ValueError:
            log.exception("could not register %s", RAW_PHONE)
        log.error("dict %s", {"id_number": RAW_ID})
    finally:
        log.removeHandler(handler)
        log.propagate = True
    written = stream.getvalue()
    assert "ValueError" in written and "Traceback" in written
    assert RAW_ID not in written and RAW_PHONE not in written
    assert "3301**********0018" in written


def test_the_redacting_filter_on_its_own():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "id %s", (RAW_ID,), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "id 3301**********0018"
    broken = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s", ("only one",), None)
    assert RedactingFilter().filter(broken) is True  # left for logging to report, never raises


def test_working_the_service_layer_logs_no_raw_numbers(world, caplog):
    caplog.set_level(logging.DEBUG)
    d = register(world.cv1, T0, summary=f"当事人电话{RAW_PHONE}，身份证{RAW_ID}")
    d = step(d, "accept")
    step(d, "withdraw")
    logging.getLogger("mediation").info("summary: %s", d.summary)
    assert RAW_ID not in caplog.text and RAW_PHONE not in caplog.text
