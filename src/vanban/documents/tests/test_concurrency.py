"""Two clerks issuing at the same instant never get the same number, and no number is skipped.
Runs with real concurrent connections on both SQLite (BEGIN IMMEDIATE) and PostgreSQL (row lock)."""

import threading

import pytest
from conftest import build_province, pdf_upload
from django.db import connection, connections
from django.utils import timezone

from vanban.audit.selectors import verify_chain
from vanban.documents import services
from vanban.documents.models import Document
from vanban.orgs.models import Person

THREADS = 4
PER_THREAD = 12


def _run_concurrently(work):
    barrier = threading.Barrier(THREADS)
    errors = []

    def runner(i):
        try:
            barrier.wait(timeout=30)
            work(i)
        except Exception as exc:  # collected and re-raised in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_numbering_never_repeats_or_skips():
    p = build_province()
    # A second clerk in the same agency, so the race is between two people as in real life.
    from vanban.orgs import services as org_services

    org_services.create_person(
        None, username="vanthu2.a", full_name="Văn thư hai", agency=p.a, unit=p.a_vp, roles=["clerk"], password="x"
    )
    clerk_ids = [p.clerk_a.pk, Person.objects.get(username="vanthu2.a").pk]
    today = timezone.localdate()

    def work(i):
        clerk = Person.objects.get(pk=clerk_ids[i % 2])
        for j in range(PER_THREAD):
            services.register_outgoing(
                clerk,
                uploads=[pdf_upload(f"out {i} {j}")],
                doc_type=p.types["QĐ"],
                subject=f"Quyết định {i}-{j}",
                signer_name="Phạm Văn Đức",
                issued_date=today,
            )
            services.register_incoming(
                clerk,
                uploads=[pdf_upload(f"in {i} {j}")],
                doc_type=p.types["cong-van"],
                subject=f"Công văn {i}-{j}",
                issuer_name="Sở Tài chính",
                issued_date=today,
                original_code=f"{i * 100 + j}/STC-VP",
            )

    _run_concurrently(work)
    total = THREADS * PER_THREAD
    out = sorted(Document.objects.filter(direction="outgoing").values_list("reg_seq", flat=True))
    arrivals = sorted(Document.objects.filter(direction="incoming").values_list("reg_seq", flat=True))
    assert out == list(range(1, total + 1))
    assert arrivals == list(range(1, total + 1))
    codes = set(Document.objects.filter(direction="outgoing").values_list("number", flat=True))
    assert len(codes) == total
    _count, problem = verify_chain()
    assert problem is None, problem
    assert connection.vendor in ("sqlite", "postgresql")
