"""Reference data: the document types of Decree 30/2020/NĐ-CP (Article 7, abbreviations from
Appendix III), plus the legal normative types an agency receives from higher levels (Law on
Promulgation of Legal Normative Documents). Loaded into the DocumentType table by migration
and kept in sync by `ensure_document_types`.
"""

from __future__ import annotations

from typing import NamedTuple


class TypeSpec(NamedTuple):
    code: str  # stable identifier
    name: str  # Vietnamese name (Tên loại văn bản)
    abbreviation: str  # in notations; empty for công văn and thư công
    issuable: bool  # an agency may issue it (Decree 30 Article 7)
    may_be_legal: bool  # may be a legal normative document (văn bản QPPL)


DOCUMENT_TYPES: tuple[TypeSpec, ...] = (
    # Decree 30/2020 Article 7 and Appendix III
    TypeSpec("nghi-quyet", "Nghị quyết", "NQ", True, True),
    TypeSpec("quyet-dinh", "Quyết định", "QĐ", True, True),
    TypeSpec("chi-thi", "Chỉ thị", "CT", True, True),
    TypeSpec("quy-che", "Quy chế", "QC", True, False),
    TypeSpec("quy-dinh", "Quy định", "QyĐ", True, False),
    TypeSpec("thong-cao", "Thông cáo", "TC", True, False),
    TypeSpec("thong-bao", "Thông báo", "TB", True, False),
    TypeSpec("huong-dan", "Hướng dẫn", "HD", True, False),
    TypeSpec("chuong-trinh", "Chương trình", "CTr", True, False),
    TypeSpec("ke-hoach", "Kế hoạch", "KH", True, False),
    TypeSpec("phuong-an", "Phương án", "PA", True, False),
    TypeSpec("de-an", "Đề án", "ĐA", True, False),
    TypeSpec("du-an", "Dự án", "DA", True, False),
    TypeSpec("bao-cao", "Báo cáo", "BC", True, False),
    TypeSpec("bien-ban", "Biên bản", "BB", True, False),
    TypeSpec("to-trinh", "Tờ trình", "TTr", True, False),
    TypeSpec("hop-dong", "Hợp đồng", "HĐ", True, False),
    TypeSpec("cong-van", "Công văn", "", True, False),
    TypeSpec("cong-dien", "Công điện", "CĐ", True, False),
    TypeSpec("ban-ghi-nho", "Bản ghi nhớ", "BGN", True, False),
    TypeSpec("ban-thoa-thuan", "Bản thỏa thuận", "BTT", True, False),
    TypeSpec("giay-uy-quyen", "Giấy ủy quyền", "GUQ", True, False),
    TypeSpec("giay-moi", "Giấy mời", "GM", True, False),
    TypeSpec("giay-gioi-thieu", "Giấy giới thiệu", "GGT", True, False),
    TypeSpec("giay-nghi-phep", "Giấy nghỉ phép", "GNP", True, False),
    TypeSpec("phieu-gui", "Phiếu gửi", "PG", True, False),
    TypeSpec("phieu-chuyen", "Phiếu chuyển", "PC", True, False),
    TypeSpec("phieu-bao", "Phiếu báo", "PB", True, False),
    TypeSpec("thu-cong", "Thư công", "", True, False),
    # Legal normative types issued only by higher bodies: received, never issued here.
    TypeSpec("hien-phap", "Hiến pháp", "", False, True),
    TypeSpec("luat", "Luật", "", False, True),
    TypeSpec("phap-lenh", "Pháp lệnh", "PL", False, True),
    TypeSpec("lenh", "Lệnh", "L", False, True),
    TypeSpec("nghi-dinh", "Nghị định", "NĐ", False, True),
    TypeSpec("thong-tu", "Thông tư", "TT", False, True),
    TypeSpec("thong-tu-lien-tich", "Thông tư liên tịch", "TTLT", False, True),
)


def sync_document_types(model) -> None:
    """Create or update the rows of the DocumentType `model` (historical or current) from
    DOCUMENT_TYPES. Used by the data migration and by test set-up after a flush."""
    for order, spec in enumerate(DOCUMENT_TYPES, start=1):
        model.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "abbreviation": spec.abbreviation,
                "issuable": spec.issuable,
                "may_be_legal": spec.may_be_legal,
                "order": order,
            },
        )
