"""The main path end to end through the service layer."""
from mediation.disputes import cases
from tests.factories import dispute_in, drive, make_dispute


def test_main_path_to_closed(world):
    d = dispute_in("closed", world.cv1)
    assert d.state == "closed" and d.outcome == "agreement"
    assert all(x.status != "open" for x in d.deadlines)
    triggers = [e.trigger for e in cases.list_events(d.id)]
    assert triggers == ["register", "accept", "assign", "start_mediation", "reach_agreement", "start_follow_up",
                        "record_follow_up", "close"]


def test_case_numbers_sequential(world):
    a = make_dispute(world.cv1)
    b = make_dispute(world.cv1)
    assert b.case_seq == a.case_seq + 1
    assert a.case_number.startswith("（2026）") or a.case_number.startswith("（")
    assert drive(b, "accept").state == "accepted"
