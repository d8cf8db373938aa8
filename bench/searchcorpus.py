"""Synthetic Vietnamese administrative documents for the search benchmark (bench/search.py).

Subjects and bodies are assembled from fragments of administrative vocabulary (with diacritics);
every fragment carries its folded form (`search.folding.index_text`) computed once, so a million
documents are generated without folding a million texts: the folded text of a document is the
fragments' folded forms joined by spaces, which is exactly `index_text` of the joined text (the
fragments are split at word boundaries)."""

from __future__ import annotations

import random
from dataclasses import dataclass

ACTIONS = [
    "triển khai",
    "tăng cường",
    "hướng dẫn thực hiện",
    "báo cáo kết quả",
    "đề nghị phối hợp",
    "tổ chức",
    "kiểm tra",
    "ban hành kế hoạch",
    "đôn đốc thực hiện",
    "góp ý dự thảo",
    "tổng kết",
    "sơ kết",
    "rà soát",
    "chấn chỉnh",
    "điều chỉnh",
    "phê duyệt",
    "giao chỉ tiêu",
    "thẩm định",
    "đẩy mạnh",
    "thành lập đoàn kiểm tra",
    "cung cấp thông tin",
    "xin ý kiến",
    "tập huấn",
    "cử cán bộ tham dự",
    "phân bổ kinh phí",
    "công bố",
    "bổ sung",
    "thống kê",
    "giải quyết",
]
TOPICS = [
    "công tác phòng, chống thiên tai",
    "chuyển đổi số",
    "cải cách hành chính",
    "dịch vụ công trực tuyến",
    "phòng, chống dịch bệnh",
    "xây dựng nông thôn mới",
    "an toàn giao thông",
    "giải phóng mặt bằng",
    "quản lý đất đai",
    "bảo vệ môi trường",
    "phòng cháy, chữa cháy",
    "thu ngân sách nhà nước",
    "giải ngân vốn đầu tư công",
    "tuyển dụng công chức",
    "đánh giá, xếp loại cán bộ",
    "thi đua, khen thưởng",
    "tiếp công dân",
    "giải quyết khiếu nại, tố cáo",
    "phòng, chống tham nhũng",
    "an toàn thông tin mạng",
    "ứng dụng công nghệ thông tin",
    "chữ ký số",
    "lưu trữ hồ sơ điện tử",
    "bảo hiểm xã hội",
    "giảm nghèo bền vững",
    "chăm sóc sức khỏe nhân dân",
    "tiêm chủng mở rộng",
    "kiểm soát thủ tục hành chính",
    "phát triển du lịch",
    "xúc tiến đầu tư",
    "hỗ trợ doanh nghiệp nhỏ và vừa",
    "quản lý chất lượng hàng hóa",
    "phòng, chống hạn hán, xâm nhập mặn",
    "nuôi trồng thủy sản",
    "trồng cây ăn trái",
    "chăn nuôi gia cầm",
    "phòng, chống bệnh dịch tả lợn châu Phi",
    "quản lý an toàn thực phẩm",
    "xây dựng đô thị văn minh",
    "cấp giấy chứng nhận quyền sử dụng đất",
    "đăng ký kinh doanh",
    "quản lý thuế",
    "đào tạo nghề",
    "tuyển sinh đầu cấp",
    "kỳ thi tốt nghiệp trung học phổ thông",
    "phổ cập giáo dục",
    "bình đẳng giới",
    "bảo vệ trẻ em",
    "người có công với cách mạng",
    "quốc phòng, an ninh",
    "tuyển quân",
    "dân quân tự vệ",
    "bầu cử đại biểu Hội đồng nhân dân",
    "quy chế dân chủ ở cơ sở",
    "tinh giản biên chế",
    "sắp xếp đơn vị hành chính",
    "đề án vị trí việc làm",
    "mua sắm tài sản công",
    "quyết toán ngân sách",
    "kiểm kê rừng",
    "khai thác cát trái phép",
    "cấp nước sạch nông thôn",
    "hệ thống thủy lợi",
    "định danh và xác thực điện tử",
    "cơ sở dữ liệu quốc gia về dân cư",
    "thanh toán không dùng tiền mặt",
]
SCOPES = [
    "trên địa bàn tỉnh",
    "năm 2024",
    "năm 2025",
    "quý I",
    "quý II",
    "quý III",
    "quý IV",
    "6 tháng đầu năm",
    "giai đoạn 2021 - 2025",
    "giai đoạn 2026 - 2030",
    "trong dịp Tết Nguyên đán",
    "tại các xã vùng sâu",
    "trong mùa mưa bão",
    "tại khu công nghiệp Long Giang",
    "của ngành",
    "đối với cán bộ, công chức",
    "tại bộ phận một cửa",
    "trên địa bàn huyện Chợ Gạo",
    "thành phố Mỹ Tho",
]
TYPE_PREFIX = {
    "cong-van": "V/v",
    "quyet-dinh": "Quyết định",
    "ke-hoach": "Kế hoạch",
    "bao-cao": "Báo cáo",
    "thong-bao": "Thông báo",
    "to-trinh": "Tờ trình",
    "giay-moi": "Giấy mời",
    "chi-thi": "Chỉ thị",
}
LEGAL = [
    "Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015",
    "Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư",
    "Nghị định số 45/2020/NĐ-CP về thực hiện thủ tục hành chính trên môi trường điện tử",
    "Thông tư số 01/2011/TT-BNV của Bộ Nội vụ",
    "Luật Ngân sách nhà nước năm 2015",
    "Quyết định số 749/QĐ-TTg của Thủ tướng Chính phủ phê duyệt Chương trình Chuyển đổi số quốc gia",
    "Nghị quyết số 18-NQ/TW của Ban Chấp hành Trung ương",
    "Luật Đất đai năm 2024",
    "Chỉ thị số 02/CT-TTg của Thủ tướng Chính phủ",
    "Kế hoạch số 125/KH-UBND của Ủy ban nhân dân tỉnh",
    "Luật Phòng, chống tham nhũng năm 2018",
    "Luật Lưu trữ năm 2024",
    "Luật Giao dịch điện tử năm 2023",
]
SENTENCES = [
    "Đề nghị các cơ quan, đơn vị khẩn trương triển khai thực hiện và báo cáo kết quả trước ngày 25 hằng tháng.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị phản ánh kịp thời về Văn phòng để tổng hợp.",
    "Giao Sở Tài chính chủ trì, phối hợp với các sở, ngành liên quan tham mưu bố trí kinh phí thực hiện.",
    "Thủ trưởng các cơ quan, đơn vị chịu trách nhiệm thi hành văn bản này.",
    "Ủy ban nhân dân các huyện, thị xã, thành phố chỉ đạo các phòng chuyên môn và Ủy ban nhân dân cấp xã thực hiện.",
    "Kết quả đạt được còn hạn chế, tỷ lệ hồ sơ trực tuyến toàn trình chưa đạt chỉ tiêu được giao.",
    "Tình hình mưa lớn kéo dài gây sạt lở bờ sông, ảnh hưởng đến đời sống của người dân.",
    "Công tác tuyên truyền, phổ biến được đẩy mạnh dưới nhiều hình thức phù hợp với từng đối tượng.",
    "Đề nghị cử lãnh đạo và chuyên viên phụ trách tham dự hội nghị đúng thành phần, đúng giờ.",
    "Thời gian: 07 giờ 30 phút, thứ Hai. Địa điểm: Hội trường Ủy ban nhân dân tỉnh.",
    "Kinh phí thực hiện từ nguồn ngân sách nhà nước và các nguồn vốn hợp pháp khác.",
    "Các đơn vị rà soát, cập nhật dữ liệu đầy đủ, chính xác lên hệ thống quản lý văn bản và điều hành.",
    "Văn bản điện tử được ký số bằng chữ ký số chuyên dùng của cơ quan, tổ chức theo quy định.",
    "Đoàn kiểm tra sẽ làm việc trực tiếp tại đơn vị; đề nghị chuẩn bị hồ sơ, tài liệu liên quan.",
    "Sở Thông tin và Truyền thông hướng dẫn triển khai nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh.",
    "Đảm bảo an toàn, an ninh thông tin; không để lộ, lọt bí mật nhà nước trên không gian mạng.",
    "Giá trị sản xuất nông nghiệp tăng 3,5% so với cùng kỳ; diện tích lúa thu hoạch đạt 95% kế hoạch.",
    "Tổng thu ngân sách trên địa bàn ước đạt 8.500 tỷ đồng, bằng 52% dự toán Hội đồng nhân dân giao.",
    "Người đứng đầu cơ quan, đơn vị chịu trách nhiệm trước Chủ tịch Ủy ban nhân dân tỉnh nếu để chậm trễ.",
    "Trường hợp quá thời hạn mà không có ý kiến thì xem như thống nhất với nội dung dự thảo.",
    "Thực hiện nghiêm chế độ thông tin, báo cáo định kỳ và đột xuất theo yêu cầu.",
    "Tăng cường kiểm tra, giám sát; xử lý nghiêm các trường hợp vi phạm theo quy định của pháp luật.",
    "Ưu tiên bố trí nguồn lực cho các xã đặc biệt khó khăn, vùng đồng bào dân tộc thiểu số.",
    "Hồ sơ gửi về Bộ phận tiếp nhận và trả kết quả qua dịch vụ bưu chính công ích hoặc trực tuyến.",
    "Phối hợp chặt chẽ với lực lượng công an, quân sự địa phương trong công tác ứng phó.",
    "Nâng cao chỉ số hài lòng của người dân, doanh nghiệp đối với sự phục vụ của cơ quan hành chính.",
]
PLACES = [
    "Mỹ Tho",
    "Gò Công",
    "Cai Lậy",
    "Cái Bè",
    "Châu Thành",
    "Chợ Gạo",
    "Gò Công Đông",
    "Gò Công Tây",
    "Tân Phước",
    "Tân Phú Đông",
    "Trung Hòa",
    "Long Định",
    "Tân Hương",
    "Vĩnh Kim",
    "Bình Đức",
    "Đồng Sơn",
    "Phú Mỹ",
    "Hậu Mỹ Bắc",
    "Mỹ Phước Tây",
    "Tân Thới",
    "Vàm Láng",
    "Kiểng Phước",
]
SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Trương",
    "Đinh",
    "Lâm",
    "Tạ",
]
MIDDLE = ["Văn", "Thị", "Minh", "Hoàng", "Thanh", "Ngọc", "Quốc", "Hữu", "Đức", "Thị Kim", "Thị Thu", "Công"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đức",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Minh",
    "Nam",
    "Nga",
    "Nghĩa",
    "Phúc",
    "Phương",
    "Quang",
    "Sơn",
    "Tâm",
    "Thắng",
    "Thảo",
    "Thủy",
    "Trung",
    "Tuấn",
    "Vinh",
    "Vĩnh",
    "Xuân",
    "Yến",
    "Trí",
    "Lộc",
    "Hiếu",
    "Bảo",
]
POSITIONS = [
    "Chủ tịch",
    "Phó Chủ tịch",
    "Giám đốc",
    "Phó Giám đốc",
    "Chánh Văn phòng",
    "Trưởng phòng",
    "Phó Chánh Văn phòng",
    "Chánh Thanh tra",
]
NOTES = [
    "",
    "",
    "",
    "Bản chính",
    "Gửi kèm phụ lục",
    "Trả lời văn bản số 15/STC-NS",
    "Văn bản thay thế",
    "Hồ sơ kèm theo gồm 02 bộ",
]


def folded_pairs(items, index_text):
    return [(s, index_text(s)) for s in items]


@dataclass
class Vocabulary:
    actions: list
    topics: list
    scopes: list
    legal: list
    sentences: list
    places: list
    signers: list  # (name, folded name, signer_key)
    positions: list
    notes: list
    prefixes: dict


def vocabulary(fold, index_text, rng: random.Random) -> Vocabulary:
    fp = lambda items: folded_pairs(items, index_text)  # noqa: E731
    signers = set()
    while len(signers) < 400:
        signers.add(f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}")
    return Vocabulary(
        actions=fp(ACTIONS),
        topics=fp(TOPICS),
        scopes=fp(SCOPES),
        legal=fp(LEGAL),
        sentences=fp(SENTENCES),
        places=fp(PLACES),
        signers=[(s, index_text(s), fold(s)[:50]) for s in sorted(signers)],
        positions=POSITIONS,
        notes=fp(NOTES),
        prefixes={k: (v, index_text(v)) for k, v in TYPE_PREFIX.items()},
    )


def subject(v: Vocabulary, rng: random.Random, type_code: str) -> tuple[str, str]:
    """(subject, folded subject)."""
    parts = [v.prefixes.get(type_code, ("Về việc", "ve viec")), rng.choice(v.actions), rng.choice(v.topics)]
    if rng.random() < 0.6:
        parts.append(rng.choice(v.scopes))
    if rng.random() < 0.2:
        parts.append(("tại xã", "tai xa"))
        parts.append(rng.choice(v.places))
    return " ".join(p[0] for p in parts), " ".join(p[1] for p in parts if p[1])


def body(v: Vocabulary, rng: random.Random, subj: tuple[str, str], issuer: tuple[str, str]) -> tuple[str, str]:
    """(full text, folded full text): about 80-200 words, like the OCR text of a 1-2 page letter."""
    parts = [issuer, ("Căn cứ", "can cu"), rng.choice(v.legal), ("Căn cứ", "can cu"), rng.choice(v.legal), subj]
    act, top = rng.choice(v.actions), rng.choice(v.topics)
    parts += [issuer, act, top, rng.choice(v.scopes), ("như sau:", "nhu sau")]
    for s in rng.sample(v.sentences, rng.randint(3, 8)):
        parts.append(s)
        if rng.random() < 0.15:
            parts += [("Địa bàn:", "dia ban"), rng.choice(v.places)]
    return "\n".join(p[0] for p in parts), " ".join(p[1] for p in parts if p[1])
