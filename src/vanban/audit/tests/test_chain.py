import io

import pytest
from conftest import build_province
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from vanban.audit import services
from vanban.audit.chain import GENESIS_HASH, StoredEntry, canonical_json, entry_hash, verify
from vanban.audit.models import ChainHead, Entry
from vanban.audit.selectors import verify_chain

pytestmark = pytest.mark.django_db


def _append(n, province):
    with transaction.atomic():
        for i in range(n):
            services.record(actor=province.clerk_a, action="test.event", target=province.a, data={"i": i, "tên": "Đức"})


def _verify_command():
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + err.getvalue() + str(exc)
    return 0, out.getvalue()


def test_intact_chain_verifies(province):
    _append(5, province)
    count, problem = verify_chain()
    assert problem is None and count == Entry.objects.count() == ChainHead.objects.get().seq
    code, text = _verify_command()
    assert code == 0 and f"{count} entries" in text


def test_edited_payload_is_found(province):
    _append(5, province)
    target = Entry.objects.filter(action="test.event").order_by("seq")[2]
    assert '"i":2' in target.payload
    Entry.objects.filter(pk=target.pk).update(payload=target.payload.replace('"i":2', '"i":9'))
    _count, problem = verify_chain()
    assert problem is not None and problem.seq == target.seq and "changed" in problem.reason
    code, text = _verify_command()
    assert code == 1 and f"first bad entry: {target.seq}" in text


def test_edited_column_is_found(province):
    _append(3, province)
    target = Entry.objects.order_by("seq")[4]
    Entry.objects.filter(pk=target.pk).update(actor="someone-else")
    _count, problem = verify_chain()
    assert problem.seq == target.seq and "actor" in problem.reason


def test_removed_entry_is_found(province):
    _append(5, province)
    target = Entry.objects.order_by("seq")[6]
    Entry.objects.filter(pk=target.pk).delete()
    _count, problem = verify_chain()
    assert problem.seq == target.seq and "removed" in problem.reason


def test_removed_newest_entry_is_found(province):
    _append(3, province)
    last = Entry.objects.order_by("-seq").first()
    last.delete()
    _count, problem = verify_chain()
    assert problem is not None and "head" in problem.reason


def test_rehashed_forgery_breaks_the_next_link(province):
    """Someone who edits an entry and recomputes its hash still breaks the next entry's link."""
    _append(4, province)
    entries = list(Entry.objects.filter(action="test.event").order_by("seq"))
    victim = entries[2]
    forged = victim.payload.replace('"i":', '"i":1')
    assert forged != victim.payload
    Entry.objects.filter(pk=victim.pk).update(payload=forged, hash=entry_hash(victim.prev_hash, forged))
    _count, problem = verify_chain()
    assert problem.seq == entries[3].seq and "link" in problem.reason


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    p = build_province()
    assert not connection.in_atomic_block
    before = Entry.objects.count()
    with pytest.raises(RuntimeError):
        services.record(actor=None, action="x", target=p.a)
    assert Entry.objects.count() == before


def test_pure_verify_detects_reordering():
    payloads = [canonical_json({"seq": i, "data": {}}) for i in (1, 2)]
    h1 = entry_hash(GENESIS_HASH, payloads[0])
    h2 = entry_hash(h1, payloads[1])
    entries = [StoredEntry(2, h1, h2, payloads[1], {}), StoredEntry(1, GENESIS_HASH, h1, payloads[0], {})]
    _count, problem = verify(entries, 2, h2)
    assert problem is not None


def test_canonical_json_is_stable():
    assert canonical_json({"b": 1, "a": "Đ"}) == canonical_json({"a": "Đ", "b": 1}) == '{"a":"Đ","b":1}'
