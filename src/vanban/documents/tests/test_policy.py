import pytest
from conftest import pdf_upload
from django.utils import timezone

from vanban.documents import policy, services


@pytest.mark.parametrize(
    ("code", "year", "internal", "mode"),
    [
        ("cong-van", 2013, False, "electronic"),  # baseline list: official letters
        ("thong-bao", 2013, False, "electronic"),
        ("quyet-dinh", 2013, False, "paper"),  # in no list before 2015
        ("giay-moi", 2013, False, "paper"),
        ("giay-moi", 2014, False, "electronic"),  # added in 2014
        ("bao-cao", 2014, False, "paper"),
        ("bao-cao", 2015, False, "electronic"),  # added in 2015
        ("quyet-dinh", 2015, False, "electronic_with_paper"),  # 2.4 for 2015
        ("quy-che", 2026, False, "electronic_with_paper"),
        ("ke-hoach", 2026, False, "electronic"),  # in both 2015 lists: fully electronic wins
        ("huong-dan", 2026, False, "electronic"),  # unlisted from 2015: electronic
        ("to-trinh", 2026, True, "electronic_with_paper"),  # 1.3 internal submissions
        ("thong-bao", 2026, True, "electronic"),  # 1.6 internal notices
    ],
)
def test_plan_policy(code, year, internal, mode):
    assert policy.default_delivery_mode(code, year, internal=internal) == mode


@pytest.mark.django_db
def test_outgoing_takes_the_policy_unless_the_clerk_chooses(province):
    p = province
    today = timezone.localdate()

    def issue(type_key, **kw):
        return services.register_outgoing(
            p.clerk_a,
            uploads=[pdf_upload()],
            doc_type=p.types[type_key],
            subject="x",
            signer_name="y",
            unit=p.a_vp,
            issued_date=today,
            **kw,
        ).document

    assert issue("QĐ").delivery_mode == "electronic_with_paper"
    assert issue("cong-van").delivery_mode == "electronic"
    assert issue("TTr", internal=True).delivery_mode == "electronic_with_paper"
    assert issue("QĐ", delivery_mode="electronic").delivery_mode == "electronic"
