"""The assignment panel, its actions and the worklist page, through the web client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from vanban.workflow.models import Assignment, ProgressEntry
from vanban.workflow.services import assignment as services
from vanban.workflow.tests.test_assignment import TODAY, incoming

pytestmark = pytest.mark.django_db


def client_for(person) -> Client:
    c = Client()
    c.force_login(person)
    return c


def test_leader_assigns_handler_reports_and_finishes_through_the_pages(province):
    p = province
    doc = incoming(p)
    page = reverse("document-detail", args=[doc.pk])
    leader = client_for(p.leader_a)
    html = leader.get(page).content.decode()
    assert 'id="workflow"' in html and "Giao xử lý" in html
    deadline = (TODAY + dt.timedelta(days=3)).isoformat()
    r = leader.post(
        reverse("workflow-assign", args=[doc.pk]),
        {"lead": f"u{p.a_cntt.pk}", "co": [f"p{p.clerk_a.pk}"], "deadline": deadline, "instruction": "Xử lý gấp"},
    )
    assert r.status_code == 302 and r.url == page
    a = Assignment.objects.get(document=doc)
    assert a.deadline.isoformat() == deadline and a.instruction == "Xử lý gấp"

    specialist = client_for(p.specialist_a)
    html = specialist.get(reverse("worklist")).content.decode()
    assert doc.subject in html and "Công việc của tôi" in html
    html = specialist.get(page).content.decode()  # the unit's grant lets them read it
    assert "Cập nhật tiến độ" in html and "Kết thúc xử lý" in html and "Giao xử lý</summary>" not in html
    specialist.post(reverse("workflow-progress", args=[a.pk]), {"note": "Đang dự thảo"})
    assert ProgressEntry.objects.get().note == "Đang dự thảo"
    r = specialist.post(reverse("workflow-finish", args=[a.pk]), {f"f{a.pk}-result": "Đã trả lời"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.state == "done" and a.result == "Đã trả lời"
    html = specialist.get(reverse("worklist") + "?tab=done").content.decode()
    assert doc.subject in html


def test_refusals_show_a_message_and_change_nothing(province):
    p = province
    doc = incoming(p)
    leader = client_for(p.leader_a)
    r = leader.post(
        reverse("workflow-assign", args=[doc.pk]),
        {"lead": f"u{p.a_cntt.pk}", "deadline": (TODAY - dt.timedelta(days=1)).isoformat()},
        follow=True,
    )
    assert "Hạn xử lý không được trước ngày giao." in r.content.decode()
    r = leader.post(reverse("workflow-assign", args=[doc.pk]), {"lead": ""}, follow=True)
    assert Assignment.objects.count() == 0
    # Someone who may not read the document gets a 404, whatever they post.
    assert client_for(p.specialist_a).post(reverse("workflow-assign", args=[doc.pk]), {"lead": "u1"}).status_code == 404
    assert client_for(p.clerk_b).get(reverse("document-detail", args=[doc.pk])).status_code == 404
    leader.post(reverse("workflow-assign", args=[doc.pk]), {"lead": f"p{p.specialist_a.pk}"})
    a = Assignment.objects.get()
    # A reader of the document who is not a handler cannot report or finish.
    r = client_for(p.clerk_a).post(reverse("workflow-progress", args=[a.pk]), {"note": "x"}, follow=True)
    assert "Chỉ người xử lý việc này mới được cập nhật tiến độ." in r.content.decode()
    assert ProgressEntry.objects.count() == 0
    assert client_for(p.clerk_b).post(reverse("workflow-finish", args=[a.pk]), {}).status_code == 404


def test_worklist_page_runs_the_same_statements_for_3_or_12_items(province):
    from django.db import connection

    p = province
    page = client_for(p.specialist_a)
    counts = []
    for n in (3, 9):
        for _ in range(n):
            services.assign(p.leader_a, incoming(p), lead=p.a_cntt, deadline=TODAY)
        statements = []
        with connection.execute_wrapper(lambda execute, sql, *a, seen=statements: seen.append(sql) or execute(sql, *a)):
            assert page.get(reverse("worklist")).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
