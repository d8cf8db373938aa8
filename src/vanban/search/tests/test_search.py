import datetime as dt
import io

import pytest
from conftest import PASSWORD, pdf_upload
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from vanban.documents import services as documents
from vanban.documents.models import Document, DocumentAccess
from vanban.documents.selectors import visible_agency_ids, visible_documents
from vanban.orgs.models import Person
from vanban.search import services
from vanban.search.models import SearchEntry
from vanban.search.services import Filters, search

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _incoming(p, subject, clerk=None, **kw):
    args = dict(
        uploads=[pdf_upload("x")],
        doc_type=p.types["cong-van"],
        subject=subject,
        issuer_name="Sở Tài chính",
        issued_date=TODAY,
        original_code="10/STC-VP",
    )
    args.update(kw)
    return documents.register_incoming(clerk or p.clerk_a, **args).document


def _ids(results):
    return [h.document_id for h in results.hits]


@pytest.fixture
def docs(province):
    p = province
    p.e_gov = _incoming(p, "Triển khai văn bản điện tử trong cơ quan nhà nước", signer_name="Nguyễn Văn Đức")
    p.paper = _incoming(p, "Quản lý văn bản giấy", original_code="22/UBND-VP", urgency="urgent")
    p.link = _incoming(p, "Kết nối liên thông hệ thống", issued_date=TODAY - dt.timedelta(days=40))
    p.posted = _incoming(p, "Đăng tải thông báo tuyển dụng", description="điện tử", signer_name="Trần Thị Mai")
    return p


@pytest.mark.parametrize("q", ["van ban dien tu", "văn bản điện tử", "VĂN BẢN ĐIỆN TỬ", "VAN BAN ĐIEN TU"])
def test_accent_and_case_variants_find_the_same(docs, q):
    assert _ids(search(docs.clerk_a, q)) == [docs.e_gov.pk]


def test_d_matches_d_stroke(docs):
    assert _ids(search(docs.clerk_a, "dang tai")) == [docs.posted.pk]
    assert _ids(search(docs.clerk_a, "ĐĂNG TẢI")) == [docs.posted.pk]


def test_phrase_needs_consecutive_words(docs):
    assert set(_ids(search(docs.clerk_a, "van ban"))) == {docs.e_gov.pk, docs.paper.pk}
    assert _ids(search(docs.clerk_a, '"ban dien"')) == [docs.e_gov.pk]
    assert _ids(search(docs.clerk_a, '"dien van"')) == []


def test_prefix(docs):
    assert _ids(search(docs.clerk_a, "liên th*")) == [docs.link.pk]
    assert _ids(search(docs.clerk_a, "liên th")) == []


def test_short_prefix_alone_and_with_words(docs):
    # PostgreSQL checks a 1-2 letter prefix on the rows the other terms select, or on the scope.
    assert _ids(search(docs.clerk_a, "gi*")) == [docs.paper.pk]
    assert _ids(search(docs.clerk_a, "van gi*")) == [docs.paper.pk]
    assert _ids(search(docs.clerk_a, '"van ban gi*"')) == [docs.paper.pk]
    assert set(_ids(search(docs.clerk_a, "đ*"))) == {docs.e_gov.pk, docs.posted.pk}
    assert search(docs.clerk_b, "gi*").total == 0


def test_a_page_past_the_last_still_counts(docs):
    r = search(docs.clerk_a, "van ban", limit=1, offset=1)
    assert r.total == 2 and len(r.hits) == 1
    r = search(docs.clerk_a, "van ban", limit=20, offset=20)
    assert (r.total, r.hits) == (2, [])


def test_code_is_searchable(docs):
    assert _ids(search(docs.clerk_a, "22/UBND-VP")) == [docs.paper.pk]


def test_filters(docs):
    assert _ids(search(docs.clerk_a, "", Filters(urgency="urgent"))) == [docs.paper.pk]
    assert _ids(search(docs.clerk_a, "van ban", Filters(urgency="urgent"))) == [docs.paper.pk]
    assert _ids(search(docs.clerk_a, "", Filters(date_to=TODAY - dt.timedelta(days=30)))) == [docs.link.pk]
    assert set(_ids(search(docs.clerk_a, "", Filters(date_from=TODAY)))) == {
        docs.e_gov.pk,
        docs.paper.pk,
        docs.posted.pk,
    }
    assert _ids(search(docs.clerk_a, "", Filters(signer="duc"))) == [docs.e_gov.pk]
    assert _ids(search(docs.clerk_a, "van", Filters(direction="outgoing"))) == []
    assert _ids(search(docs.clerk_a, "", Filters(doc_type=docs.types["QĐ"]))) == []
    assert len(_ids(search(docs.clerk_a, "", Filters(agency=docs.a)))) == 4
    assert _ids(search(docs.clerk_a, "", Filters(agency=docs.b))) == []
    assert search(docs.clerk_a, "").total == 0  # neither words nor filters: nothing


def test_metadata_outranks_full_text(docs):
    services.set_text(docs.link, "Hướng dẫn kết nối, gửi nhận văn bản điện tử qua trục liên thông.")
    results = search(docs.clerk_a, "dien tu")
    # In the subject (e_gov) and the notes (posted), which are metadata, before the body (link).
    assert _ids(results)[-1] == docs.link.pk and set(_ids(results)) == {docs.e_gov.pk, docs.posted.pk, docs.link.pk}
    assert results.hits[0].score >= results.hits[1].score > results.hits[2].score > 0
    # Two matching words rank above one.
    assert _ids(search(docs.clerk_a, "van ban"))[0] in {docs.e_gov.pk, docs.paper.pk}


def test_full_text_is_searched_and_highlighted(docs):
    services.set_text(docs.paper, "Nội dung: ứng dụng chữ ký số cho VĂN BẢN <b>giấy</b>.")
    results = search(docs.clerk_a, "chu ky so")
    assert _ids(results) == [docs.paper.pk]
    assert results.hits[0].snippet == (
        "Nội dung: ứng dụng <mark>chữ</mark> <mark>ký</mark> <mark>số</mark> cho VĂN BẢN &lt;b&gt;giấy&lt;/b&gt;."
    )
    # The subject is highlighted when the text does not match.
    assert search(docs.clerk_a, "quan ly").hits[0].snippet == "<mark>Quản</mark> <mark>lý</mark> văn bản giấy"


def test_other_agency_clerk_sees_nothing_not_even_a_count(docs):
    mine = _incoming(docs, "Văn bản điện tử của Sở Tài chính", clerk=docs.clerk_b)
    r = search(docs.clerk_b, "van ban dien tu")
    assert (r.total, _ids(r)) == (1, [mine.pk])
    assert search(docs.clerk_b, "", Filters(agency=docs.a)).total == 0


def test_search_narrows_by_the_agencies_of_the_scope(docs):
    # The engines narrow by `visible_agency_ids`: every visible document must be in one of them.
    documents.grant_access(docs.paper, [(docs.specialist_a, None)], reason="assigned")
    for person in Person.objects.all():
        agencies = set(visible_documents(person).values_list("agency_id", flat=True))
        assert agencies <= set(visible_agency_ids(person)), person


def test_a_document_moved_to_another_agency_is_found_there_only(docs):
    doc = Document.objects.get(pk=docs.e_gov.pk)
    doc.agency = docs.b
    doc.save()  # reindexed in the same transaction
    assert search(docs.clerk_a, "van ban dien tu").total == 0
    assert _ids(search(docs.clerk_b, "van ban dien tu")) == [doc.pk]
    assert services.check_index().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL copies the agency into a column")
def test_the_agency_copied_into_the_index_is_checked_and_rebuilt(docs):
    def copied():
        with connection.cursor() as cursor:
            cursor.execute("SELECT document_id, agency_id FROM search_index")
            return dict(cursor.fetchall())

    assert copied() == dict(Document.objects.values_list("pk", "agency_id"))
    # Moved behind the services' back: stale until reindexed.
    Document.objects.filter(pk=docs.paper.pk).update(agency=docs.b)
    assert services.check_index().stale == [docs.paper.pk]
    assert search(docs.clerk_b, "quan ly van ban giay").total == 0
    services.reindex_all()
    assert copied() == dict(Document.objects.values_list("pk", "agency_id"))
    assert services.check_index().ok
    assert _ids(search(docs.clerk_b, "quan ly van ban giay")) == [docs.paper.pk]


def test_specialist_sees_only_granted_documents_and_no_confidential_ones_by_unit(docs):
    assert search(docs.specialist_a, "van ban").total == 0
    secret = _incoming(docs, "Văn bản mật về điện tử", confidentiality="secret")
    documents.grant_access(docs.paper, [(None, docs.a_cntt)], reason="assigned")
    documents.grant_access(secret, [(None, docs.a_cntt)], reason="assigned")
    r = search(docs.specialist_a, "van ban")
    assert (r.total, _ids(r)) == (1, [docs.paper.pk])
    assert search(docs.leader_a, "van ban mat").total == 1  # the leader does see it
    documents.grant_access(secret, [(docs.specialist_a, None)], reason="assigned")
    assert search(docs.specialist_a, "van ban mat").total == 1
    assert DocumentAccess.objects.count() == 3


def test_a_successors_clerk_finds_the_merged_agencys_documents_and_words_never_match_the_scope(docs):
    from vanban.orgs import services as org_services

    theirs = _incoming(docs, "Văn bản điện tử của Sở Tài chính", clerk=docs.clerk_b)
    assert search(docs.clerk_a, "van ban dien tu").total == 1  # A's own, not B's
    org_services.merge_agency(None, docs.b, into=docs.a, reason="sáp nhập")
    r = search(docs.clerk_a, "van ban dien tu")
    assert r.total == 2 and theirs.pk in _ids(r)
    # The index's agency tokens (a<id>) are not searchable words.
    assert search(docs.clerk_a, f"a{docs.a.pk}").total == 0


def test_a_document_moved_to_another_agency_behind_the_services_back_is_stale(docs):
    Document.objects.filter(pk=docs.paper.pk).update(agency=docs.b)
    assert services.check_index().stale == [docs.paper.pk]  # both engines keep the agency
    services.reindex_all()
    assert services.check_index().ok
    assert _ids(search(docs.clerk_b, "quan ly van ban giay")) == [docs.paper.pk]


def test_index_written_with_the_document_and_kept_in_step(docs):
    assert SearchEntry.objects.count() == Document.objects.count() == 4
    assert services.check_index().ok
    # A metadata change through save() reindexes in the same transaction.
    doc = Document.objects.get(pk=docs.link.pk)
    doc.subject = "Chuyển đổi số"
    doc.save()
    assert _ids(search(docs.clerk_a, "chuyen doi so")) == [doc.pk]
    assert _ids(search(docs.clerk_a, "lien thong")) == []
    assert services.check_index().ok


def test_index_document_is_idempotent(docs):
    before = SearchEntry.objects.get(pk=docs.e_gov.pk).fingerprint
    services.index_document(docs.e_gov)
    services.index_document(docs.e_gov)
    assert SearchEntry.objects.get(pk=docs.e_gov.pk).fingerprint == before
    assert search(docs.clerk_a, "van ban dien tu").total == 1


def test_check_and_reindex_commands(docs):
    # Drift behind the services' back: a stale subject, a missing row, an orphan row.
    Document.objects.filter(pk=docs.paper.pk).update(subject="Đề án chuyển đổi số")
    SearchEntry.objects.filter(pk=docs.link.pk).delete()
    report = services.check_index()
    assert (report.missing, report.stale) == ([docs.link.pk], [docs.paper.pk])
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("search", "check", stdout=out, stderr=io.StringIO())
    assert exc.value.returncode == 1
    assert f"missing\tdocument {docs.link.pk}" in out.getvalue()
    assert f"stale\tdocument {docs.paper.pk}" in out.getvalue()

    call_command("search", "reindex", stdout=io.StringIO())
    assert services.check_index().ok
    assert _ids(search(docs.clerk_a, "de an chuyen doi so")) == [docs.paper.pk]
    assert _ids(search(docs.clerk_a, "lien th*")) == [docs.link.pk]
    out = io.StringIO()
    call_command("search", "check", stdout=out)
    assert "in step" in out.getvalue()


def test_backend_matches_vendor(docs):
    from vanban.search import backends

    assert (
        type(backends.backend()).__name__
        == {"sqlite": "SQLiteBackend", "postgresql": "PostgresBackend"}[connection.vendor]
    )


def test_api_is_scoped_and_validates(client, docs):
    assert client.login(username="vanthu.a", password=PASSWORD)
    r = client.get("/api/v1/search/", {"q": "VĂN BẢN ĐIỆN TỬ"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1
    assert set(body["hits"][0]) == {"document_id", "code", "subject", "snippet", "score"}
    assert body["hits"][0]["document_id"] == docs.e_gov.pk
    r = client.get("/api/v1/search/", {"q": "van", "urgency": "khẩn", "type": "Công văn"})
    assert r.status_code == 200 and [h["document_id"] for h in r.json()["hits"]] == [docs.paper.pk]
    assert client.get("/api/v1/search/", {"type": "nope"}).status_code == 400
    assert client.get("/api/v1/search/", {"date_from": "hôm qua"}).status_code == 400
    client.logout()
    assert client.login(username="vanthu.b", password=PASSWORD)
    r = client.get("/api/v1/search/", {"q": "van ban"})
    assert r.json() == {"total": 0, "more": False, "hits": []}
    client.logout()
    assert client.get("/api/v1/search/", {"q": "van ban"}).status_code in (401, 403)


def test_api_in_schema(client, docs):
    assert client.login(username="vanthu.a", password=PASSWORD)
    r = client.get("/api/schema/")
    assert r.status_code == 200 and b"/api/v1/search/" in r.content


def test_page(client, docs):
    assert client.login(username="vanthu.a", password=PASSWORD)
    r = client.get("/tim-kiem/", {"q": "dien tu"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "<mark>điện</mark> <mark>tử</mark>" in html and f"/van-ban/{docs.e_gov.pk}/" in html
    r = client.get("/tim-kiem/", {"q": "", "urgency": "urgent"})
    assert f"/van-ban/{docs.paper.pk}/" in r.content.decode()
    client.logout()
    assert client.get("/tim-kiem/").status_code == 302


def test_a_query_matching_more_than_the_window_is_ranked_among_its_newest_matches(docs, monkeypatch, client):
    from vanban.search import backends

    extra = [_incoming(docs, f"Văn bản điện tử số {i}") for i in range(3)]
    everything = search(docs.clerk_a, "van ban dien tu")
    assert (everything.total, everything.more) == (4, False)
    monkeypatch.setattr(backends, "RANK_WINDOW", 2)
    capped = search(docs.clerk_a, "van ban dien tu")
    if connection.vendor == "sqlite":
        assert (capped.total, capped.more) == (2, True)
        assert sorted(_ids(capped)) == sorted(d.pk for d in extra[-2:])  # the two newest
        assert search(docs.clerk_a, "van ban dien tu", offset=2).hits == []
        # Another agency's clerk: neither the hits nor "more".
        assert (lambda r: (r.total, r.more))(search(docs.clerk_b, "van ban dien tu")) == (0, False)
        assert client.login(username="vanthu.a", password=PASSWORD)
        page = client.get("/tim-kiem/", {"q": "van ban dien tu"}).content.decode()
        assert "Hơn 2 văn bản" in page


def test_filters_with_words_match_the_filters_without(docs):
    """Filtered word searches (facets in the SQLite index) agree with the plain filters."""
    cases = [
        Filters(signer="du"),  # a word beginning: Đức
        Filters(signer="Nguyễn Đức"),
        Filters(signer="uc"),  # not a word beginning
        Filters(date_from=TODAY - dt.timedelta(days=400), date_to=TODAY),
        Filters(date_from=TODAY - dt.timedelta(days=10), date_to=TODAY),
        Filters(doc_type=docs.types["cong-van"], urgency="urgent"),
        Filters(direction="incoming", date_from=TODAY),
    ]
    for f in cases:
        plain = set(_ids(search(docs.clerk_a, "", f)))
        worded = set(_ids(search(docs.clerk_a, "van ban", f)))
        every = set(_ids(search(docs.clerk_a, "van ban")))
        assert worded == plain & every, f


def test_a_filtered_field_changed_behind_the_services_back_is_stale(docs):
    Document.objects.filter(pk=docs.e_gov.pk).update(urgency="flash")
    if connection.vendor == "sqlite":  # the facets live in the FTS5 index
        assert services.check_index().stale == [docs.e_gov.pk]
        services.reindex_all()
    assert services.check_index().ok
    assert _ids(search(docs.clerk_a, "van ban dien tu", Filters(urgency="flash"))) == [docs.e_gov.pk]
