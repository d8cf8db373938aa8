"""Deadline reminders: who is told, when, once; the task, the periodic registry, the command."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from conftest import build_province
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from vanban import periodic
from vanban.orgs import services as org_services
from vanban.workflow import tasks
from vanban.workflow.models import Notice
from vanban.workflow.services import assignment as work
from vanban.workflow.services import reminders
from vanban.workflow.tests.test_assignment import TODAY, incoming

DEADLINE = TODAY + dt.timedelta(days=10)
DAY = dt.timedelta(days=1)


def setup_work(p, deadline=DEADLINE):
    """Work led by the IT unit (five active people), co-handled by the clerk in person, the
    leader only reading."""
    doc = incoming(p)
    a = work.assign(p.leader_a, doc, lead=p.a_cntt, co=[p.clerk_a], readers=[p.leader_a], deadline=deadline)
    handlers = {p.specialist_a.pk, p.unithead_a.pk, p.admin_a.pk, p.monitor.pk, p.superuser.pk, p.clerk_a.pk}
    return doc, a, handlers


def notified(kind=None) -> set[int]:
    qs = Notice.objects.all() if kind is None else Notice.objects.filter(kind=f"deadline.{kind}")
    return set(qs.values_list("person_id", flat=True))


@pytest.mark.django_db
def test_the_day_before_the_day_and_the_day_after_each_once(province):
    p = province
    doc, a, handlers = setup_work(p)
    assert reminders.send_deadline_reminders(DEADLINE - 2 * DAY) == {"tomorrow": 0, "today": 0, "overdue": 0}
    assert Notice.objects.count() == 0

    assert reminders.send_deadline_reminders(DEADLINE - DAY) == {"tomorrow": 6, "today": 0, "overdue": 0}
    assert notified("tomorrow") == handlers  # the reader, other agencies: nobody else
    n = Notice.objects.filter(person=p.specialist_a).get()
    assert n.url == f"/van-ban/{doc.pk}/" and DEADLINE.strftime("%d/%m/%Y") in n.text and doc.subject in n.text
    assert n.key == f"deadline:{a.pk}:tomorrow:{DEADLINE.isoformat()}"

    # Run again (a second worker, a restart): nothing new.
    assert reminders.send_deadline_reminders(DEADLINE - DAY) == {"tomorrow": 0, "today": 0, "overdue": 0}
    assert Notice.objects.count() == 6

    assert reminders.send_deadline_reminders(DEADLINE)["today"] == 6
    assert notified("today") == handlers
    assert reminders.send_deadline_reminders(DEADLINE + DAY)["overdue"] == 6
    assert notified("overdue") == handlers
    # Overdue is told once, on the day after: not every day after.
    assert reminders.send_deadline_reminders(DEADLINE + 2 * DAY) == {"tomorrow": 0, "today": 0, "overdue": 0}
    assert Notice.objects.count() == 18
    assert p.leader_a.pk not in notified() and p.clerk_b.pk not in notified()


@pytest.mark.django_db
def test_done_work_and_inactive_people_are_not_reminded(province):
    p = province
    _doc, a, handlers = setup_work(p)
    org_services.update_person(p.superuser, p.monitor, is_active=False)
    reminders.send_deadline_reminders(DEADLINE - DAY)
    assert notified() == handlers - {p.monitor.pk}

    work.finish(p.specialist_a, a, result="Đã xong")
    Notice.objects.all().delete()
    assert reminders.send_deadline_reminders(DEADLINE) == {"tomorrow": 0, "today": 0, "overdue": 0}
    assert reminders.send_deadline_reminders(DEADLINE + DAY)["overdue"] == 0
    assert Notice.objects.count() == 0


@pytest.mark.django_db
def test_reassigned_work_reminds_the_person_it_was_handed_to(province):
    p = province
    _doc, a, _handlers = setup_work(p)
    child = work.reassign(p.unithead_a, a, lead=p.specialist_a, deadline=DEADLINE - DAY)
    reminders.send_deadline_reminders(DEADLINE - DAY)
    # The child's deadline is today: the specialist is told "today" by key of the child assignment.
    today = Notice.objects.get(kind="deadline.today")
    assert today.person_id == p.specialist_a.pk and today.key.startswith(f"deadline:{child.pk}:today:")


@pytest.mark.django_db
def test_comment_reminders_go_to_reviewers_who_have_not_commented(province):
    from vanban.workflow.services import drafting
    from vanban.workflow.tests.test_drafting import new_draft

    p = province
    draft = new_draft(p)
    due = TODAY + 3 * DAY
    drafting.request_comments(p.specialist_a, draft, people=[p.unithead_a, p.clerk_a], deadline=due)
    drafting.comment(p.clerk_a, draft, text="Đã xem, thống nhất.")
    assert reminders.send_comment_reminders(due - 2 * DAY) == 0  # not yet
    assert reminders.send_comment_reminders(due - DAY) == 1
    assert reminders.send_comment_reminders(due - DAY) == 0  # once
    assert reminders.send_comment_reminders(due) == 1
    rows = Notice.objects.filter(kind__startswith="drafting.comments_")
    assert set(rows.values_list("person_id", flat=True)) == {p.unithead_a.pk}
    assert sorted(rows.values_list("kind", flat=True)) == ["drafting.comments_today", "drafting.comments_tomorrow"]
    assert all(draft.subject in n.text for n in rows)


@pytest.mark.django_db
def test_meeting_reminders_the_day_before_to_who_has_not_declined(province):
    from django.utils import timezone

    from vanban.workflow.services import meetings

    p = province
    starts = timezone.make_aware(dt.datetime.combine(TODAY + 5 * DAY, dt.time(8, 30)))
    m = meetings.create_meeting(
        p.leader_a,
        title="Họp giao ban tuần",
        location="Phòng họp 1",
        starts_at=starts,
        participants=[p.specialist_a, p.unithead_a, p.clerk_a],
    )
    meetings.answer(p.clerk_a, m, accept=False, note="Đi công tác")
    assert reminders.send_meeting_reminders(TODAY + 3 * DAY) == 0
    assert reminders.send_meeting_reminders(TODAY + 4 * DAY) == 2
    assert reminders.send_meeting_reminders(TODAY + 4 * DAY) == 0
    rows = Notice.objects.filter(kind="meeting.tomorrow")
    assert set(rows.values_list("person_id", flat=True)) == {p.specialist_a.pk, p.unithead_a.pk}
    assert "08:30" in rows.first().text and "Họp giao ban tuần" in rows.first().text


@pytest.mark.django_db
def test_run_reminders_counts_every_kind(province):
    setup_work(province)
    counts = reminders.run_reminders(DEADLINE - DAY)
    assert counts["tomorrow"] == 6
    assert counts["comments"] == counts["meetings"] == counts["handover"] == 0
    assert reminders.run_reminders(DEADLINE - DAY)["tomorrow"] == 0


@pytest.mark.django_db
def test_the_command_reminds_for_a_date_and_refuses_a_bad_one(province):
    setup_work(province)
    out = io.StringIO()
    call_command("workflow", "remind", "--date", (DEADLINE - DAY).isoformat(), stdout=out)
    assert "tomorrow: 6" in out.getvalue() and Notice.objects.count() == 6
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("workflow", "remind", "--date", "31/12/2026", stdout=io.StringIO())
    assert Notice.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_notify_each_person_once():
    p = build_province()
    _doc, _a, handlers = setup_work(p)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=30)
            reminders.send_deadline_reminders(DEADLINE - DAY)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert Notice.objects.count() == len(handlers) and notified() == handlers


@pytest.mark.django_db(transaction=True)
def test_the_task_enqueues_and_runs_on_the_worker():
    p = build_province()
    _doc, _a, handlers = setup_work(p, deadline=TODAY + DAY)
    result = tasks.send_reminders.enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    result.refresh()
    assert result.status == "SUCCESSFUL", result.status
    assert result.return_value["tomorrow"] == len(handlers)
    assert notified("tomorrow") == handlers


def test_the_reminders_are_registered_hourly_for_the_worker():
    job = periodic._jobs["workflow.reminders"]
    assert job.every_seconds == 3600 and job.enqueue == tasks.send_reminders.enqueue


def test_periodic_due_logic_with_a_fake_clock():
    calls = []
    periodic.register("test.job", 60, lambda: calls.append(1))
    try:
        assert "test.job" in periodic.due(1000.0)  # never ran: due at once (a worker just started)
        assert "test.job" in periodic.run_due(1000.0) and calls == [1]
        assert "test.job" not in periodic.due(1059.9)
        assert "test.job" not in periodic.run_due(1030.0) and calls == [1]
        assert "test.job" in periodic.due(1060.0)
        # Registering again (a module imported twice) keeps the clock.
        periodic.register("test.job", 60, lambda: calls.append(2))
        assert "test.job" not in periodic.due(1030.0)
    finally:
        periodic.unregister("test.job")
    with pytest.raises(ValueError):
        periodic.register("test.bad", 0, lambda: None)


def test_a_failing_enqueue_stays_due_and_does_not_stop_the_others():
    calls = []

    def broken():
        raise RuntimeError("database away")

    periodic.register("test.broken", 60, broken)
    periodic.register("test.ok", 60, lambda: calls.append("ok"))
    try:
        ran = periodic.run_due(0.0)
        assert "test.ok" in ran and "test.broken" not in ran and calls == ["ok"]
        assert "test.broken" in periodic.due(1.0) and "test.ok" not in periodic.due(1.0)
    finally:
        periodic.unregister("test.broken")
        periodic.unregister("test.ok")


def test_the_worker_heartbeat_runs_the_periodic_jobs(monkeypatch):
    from vanban.exchange.management.commands import worker

    calls = []
    monkeypatch.setattr(periodic, "run_due", lambda: calls.append("run"))
    stop = threading.Event()
    stop.set()  # no beat after the first: only the run at start
    worker._heartbeat(stop)
    assert calls == ["run"]
