"""The operation path of issue 4 in the browser, one person per browser context:

a specialist drafts → a colleague comments → the draft goes up the chain (unit head, then a
leader) → the leader returns it once → a new version goes up again and is approved → the clerk
issues it to another agency → that agency's clerk registers it → its leader assigns it → the
handler finishes it → the sender's tracking view shows 03 (registered), 04 (assigned) and 06 (done).

The exchange's delivery is the worker's job; here the test runs the same task in-process between
steps (`tasks.deliver_all_due`). Fields are addressed by name/id, never by translated text."""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid

import pytest
from conftest import PASSWORD
from django.utils import timezone, translation
from playwright.sync_api import expect

from vanban.documents.models import Direction, Document, HandlingStatus
from vanban.documents.samples import one_page_pdf
from vanban.exchange import tasks
from vanban.exchange.models import Delivery, Status
from vanban.orgs import services as org_services
from vanban.orgs.models import Role
from vanban.signing import services as signing_services
from vanban.signing import tasks as signing_tasks
from vanban.signing.models import DocumentSignature
from vanban.workflow.models import Assignment, Draft
from vanban.workflow.services import drafting

pytestmark = pytest.mark.e2e


def person(username, agency, unit, roles, position=""):
    return org_services.create_person(
        None,
        username=username,
        full_name=username.replace(".", " ").title(),
        email=f"{username}@example.vn",
        agency=agency,
        unit=unit,
        position=position,
        roles=roles,
        password=PASSWORD,
    )


class Browser:
    """One logged-in browser context per person, opened on demand."""

    def __init__(self, browser, base_url: str, screenshots):
        self.browser, self.base_url, self.screenshots, self.pages = browser, base_url, screenshots, {}

    def as_(self, username: str):
        if username not in self.pages:
            context = self.browser.new_context(
                locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 1366, "height": 900}
            )
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.goto(f"{self.base_url}/dang-nhap/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            with page.expect_navigation():
                page.click("form button[type=submit]")
            expect(page.locator("#id_password")).to_have_count(0)
            self.pages[username] = page
        return self.pages[username]

    def go(self, username: str, path: str):
        page = self.as_(username)
        page.goto(f"{self.base_url}{path}")
        assert page.locator("html").get_attribute("lang") == "vi"
        return page

    def close(self):
        for page in self.pages.values():
            page.context.close()


def click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_draft_comment_chain_return_approve_issue_register_assign_finish(live_server, live_province, browser, tmp_path):
    p = live_province
    colleague = person("chuyenvien2.a", p.a, p.a_cntt, [Role.SPECIALIST])
    leader_b = person("lanhdao.b", p.b, p.b_vp, [Role.LEADER], position="Giám đốc")
    handler_b = person("chuyenvien.b", p.b, p.b_vp, [Role.SPECIALIST])
    # The demo PKI: the leaders' certificates and the agencies' seals, a timestamp authority.
    signing_services.demo_pki(base_url=live_server.url)
    drafting.create_chain(
        p.leader_a,
        name="Trưởng phòng → Lãnh đạo Sở",
        steps=[("unit_head", None, "Trưởng phòng"), ("leader", None, "Giám đốc Sở")],
    )
    subject = f"Về việc triển khai hệ thống quản lý văn bản {uuid.uuid4().hex[:6]}"
    v1, v2 = tmp_path / "du-thao-v1.pdf", tmp_path / "du-thao-v2.pdf"
    v1.write_bytes(one_page_pdf("Du thao lan 1"))
    v2.write_bytes(one_page_pdf("Du thao lan 2"))
    ui = Browser(browser, live_server.url, tmp_path)
    try:
        # 1. The specialist drafts.
        page = ui.go("chuyenvien.a", "/du-thao/moi/")
        page.select_option("select[name=doc_type]", label="Công văn")
        page.select_option("select[name=unit]", value=str(p.a_cntt.pk))
        page.fill("textarea[name=subject]", subject)
        page.set_input_files("input[name=file]", str(v1))
        click(page, "button[name=save]")
        expect(page).to_have_url(re.compile(r"/du-thao/\d+/$"))
        draft_pk = int(re.search(r"/du-thao/(\d+)/$", page.url).group(1))
        draft_path = f"/du-thao/{draft_pk}/"

        # ... and asks a colleague for comments.
        page.click("details:has(button[name=ask]) > summary")
        page.select_option("select[name=people]", value=str(colleague.pk))
        page.fill("input[name=deadline]", (timezone.localdate() + dt.timedelta(days=3)).isoformat())
        click(page, "button[name=ask]")

        # 2. The colleague comments.
        page = ui.go("chuyenvien2.a", draft_path)
        page.fill("textarea[name=text]", "Đề nghị bổ sung thời hạn triển khai.")
        click(page, "button[name=send_comment]")
        expect(page.locator("body")).to_contain_text("Đề nghị bổ sung thời hạn triển khai.")

        # 3. The specialist submits it up the chain.
        page = ui.go("chuyenvien.a", draft_path)
        expect(page.locator("body")).to_contain_text("Đề nghị bổ sung thời hạn triển khai.")
        page.select_option("select[name=chain]", index=1)
        click(page, "button[name=submit]")

        # 4. The unit head approves; the leader returns it with a note.
        page = ui.go("truongphong.a", draft_path)
        click(page, "button[name=approve]")
        page = ui.go("lanhdao.a", draft_path)
        page.fill("#approve-form textarea[name=note]", "Sửa lại đoạn 2 cho rõ.")
        click(page, "button[name=return]")
        assert Draft.objects.get(pk=draft_pk).state == Draft.State.RETURNED
        # A returned draft offers no issuing, even to the clerk.
        page = ui.go("vanthu.a", draft_path)
        expect(page.locator(f"a[href='/du-thao/{draft_pk}/phat-hanh/']")).to_have_count(0)

        # 5. A new version goes up again and is approved at both steps.
        page = ui.go("chuyenvien.a", draft_path)
        expect(page.locator("body")).to_contain_text("Sửa lại đoạn 2 cho rõ.")
        page.click("details:has(button[name=upload]) > summary")
        page.set_input_files("form[action$='/phien-ban/'] input[name=file]", str(v2))
        click(page, "button[name=upload]")
        page.select_option("select[name=chain]", index=1)
        click(page, "button[name=submit]")
        click(ui.go("truongphong.a", draft_path), "button[name=approve]")
        # The leader signs digitally as he approves the last step.
        page = ui.go("lanhdao.a", draft_path)
        page.check("#approve-form input[name=sign]")
        page.fill("#approve-form input[name=authority_prefix]", "KT. GIÁM ĐỐC")
        click(page, "button[name=approve]")
        assert Draft.objects.get(pk=draft_pk).state == Draft.State.APPROVED

        # 6. The clerk issues it to Sở Tài chính.
        page = ui.go("vanthu.a", draft_path)
        click(page, f"a[href='/du-thao/{draft_pk}/phat-hanh/']")
        page.select_option("select[name=agencies]", value=str(p.b.pk))
        click(page, "button[name=issue]")
        expect(page).to_have_url(re.compile(r"/van-ban/\d+/$"))
        sent = Document.objects.get(agency=p.a, subject=subject)
        assert sent.direction == Direction.OUTGOING
        assert sent.code.endswith("/STTTT-CNTT")
        assert sent.signer_name == p.leader_a.full_name
        # Signed by the leader, then by the agency at issue, before it went out.
        assert list(DocumentSignature.objects.filter(document=sent).values_list("kind", flat=True)) == [
            "person",
            "seal",
        ]
        tasks.deliver_all_due()

        # 7. Sở Tài chính's clerk registers it from the exchange's waiting list.
        page = ui.go("vanthu.b", "/lien-thong/cho-tiep-nhan/")
        click(page, f"tr:has-text('{subject}') a[href*='/lien-thong/den/']")
        # Before registering, the clerk sees that the received PDF's signatures are valid.
        expect(page.locator("ul.files [data-verdict]").first).to_have_attribute("data-verdict", "valid")
        click(page, "#register-arrival")
        received = Document.objects.get(agency=p.b, subject=subject)
        assert received.direction == Direction.INCOMING
        tasks.deliver_all_due()
        # Its signatures were checked on arrival (the worker's task, run here, in a thread of its
        # own like the worker: verification runs an asyncio loop, Playwright holds this one).
        worker = threading.Thread(target=signing_tasks.verify_document.call, args=(received.pk,))
        worker.start()
        worker.join()
        page.goto(f"{live_server.url}/van-ban/{received.pk}/")
        expect(page.locator("#signatures [data-verdict]").first).to_have_attribute("data-verdict", "valid")

        # 8. Its leader assigns it to a specialist, who finishes it.
        page = ui.go("lanhdao.b", f"/van-ban/{received.pk}/")
        page.select_option("select[name=lead]", value=f"p{handler_b.pk}")
        page.fill("input[name=deadline]", (timezone.localdate() + dt.timedelta(days=5)).isoformat())
        page.fill("textarea[name=instruction]", "Đề nghị phòng nghiên cứu, tham mưu.")
        click(page, "#workflow form[action$='/giao-xu-ly/'] button[type=submit]")
        assignment = Assignment.objects.get(document=received)
        assert assignment.assigned_by == leader_b
        tasks.deliver_all_due()
        page = ui.go("chuyenvien.b", f"/van-ban/{received.pk}/")
        page.click(f"#assignment-{assignment.pk} details:has(form[action$='/ket-thuc/']) > summary")
        page.fill(f"#assignment-{assignment.pk} textarea[name=f{assignment.pk}-result]", "Đã tham mưu, trình lãnh đạo.")
        click(page, f"#assignment-{assignment.pk} form[action$='/ket-thuc/'] button[type=submit]")
        received.refresh_from_db()
        assert received.handling_status == HandlingStatus.DONE
        tasks.deliver_all_due()

        # 9. The sender's tracking view shows 03, 04 and 06.
        delivery = Delivery.objects.get(dispatch__document=sent)
        statuses = [e.status for e in delivery.events.all()]
        assert {Status.REGISTERED, Status.ASSIGNED, Status.DONE} <= set(statuses)
        assert delivery.status == Status.DONE
        page = ui.go("vanthu.a", f"/van-ban/{sent.pk}/")
        history = page.locator("#exchange-tracking details")
        history.locator("summary").click()
        with translation.override("vi"):
            labels = [str(Status(code).label) for code in (Status.REGISTERED, Status.ASSIGNED, Status.DONE)]
        for label in labels:
            expect(history).to_contain_text(label)
        page.screenshot(path=str(tmp_path / "theo-doi.png"), full_page=True)
    finally:
        ui.close()
