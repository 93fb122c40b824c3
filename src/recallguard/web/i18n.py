"""A small message catalogue for the seller's pages: English and Chinese (simplified).

The seller's language is the ``lang`` query parameter when given, else the language of the listing
(``zh`` listings get Chinese), else the browser's ``Accept-Language``; anything unknown falls back to
English. Missing keys fall back to English too, so a new message never shows a raw key.

>>> t("zh", "notice.title", listing="L1")
'关于您的商品 L1 的通知'
>>> pick_language("fr-FR,fr;q=0.9", None, "")
'en'
"""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "中文"}

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "seller.title": "Your listings",
        "seller.intro": "Listings of seller {seller} and what was done to them. Each action has a notice "
        "explaining why and what you can do.",
        "seller.none": "No actions on your listings.",
        "col.listing": "Listing",
        "col.recall": "Recall",
        "col.action": "Action",
        "col.state": "State",
        "col.appeal": "Appeal",
        "col.notice": "Notice",
        "link.notice": "Read the notice",
        "notice.title": "Notice about your listing {listing}",
        "notice.what_h": "What happened",
        "notice.why_h": "Why",
        "notice.todo_h": "What to do",
        "notice.deadline_h": "Deadline to appeal",
        "notice.recall_link": "The recall as published",
        "notice.hazard": "Hazard",
        "notice.json": "This notice as data (JSON)",
        "appeal.h": "Appeal this decision",
        "appeal.kind": "What are you telling us?",
        "appeal.kind_appeal": "My listing is not the recalled product",
        "appeal.kind_attestation": "My stock lies outside the recalled lots, serial numbers or dates",
        "appeal.message": "Explain why (required)",
        "appeal.ranges": "The recall covers only: {ranges}",
        "appeal.attested": "The lot, batch, serial numbers or production dates of your stock",
        "appeal.photos": "Photos of the product labels (JPEG, PNG or WebP; up to {n} photos, {mb} MB each)",
        "appeal.submit": "Send the appeal",
        "appeal.open": "Your appeal of {date} is being reviewed.",
        "appeal.upheld": "Your appeal was upheld on {date}: the restriction was lifted.",
        "appeal.confirmed": "Your appeal was reviewed on {date}: the restriction stays. {reason}",
        "appeal.sent": "Appeal sent. A reviewer will decide; the outcome appears on this notice.",
        "appeal.none": "—",
        "state.proposed": "proposed",
        "state.approved": "restricted",
        "state.sent": "restricted",
        "state.confirmed": "restricted",
        "state.failed": "restricted",
        "state.reversed": "lifted",
        "state.withdrawn": "withdrawn",
        "lang.switch": "Language",
    },
    "zh": {
        "seller.title": "您的商品",
        "seller.intro": "卖家 {seller} 的商品及对其采取的措施。"
        "每项措施都附有通知，说明原因以及您可以采取的行动。",
        "seller.none": "您的商品没有任何措施。",
        "col.listing": "商品",
        "col.recall": "召回",
        "col.action": "措施",
        "col.state": "状态",
        "col.appeal": "申诉",
        "col.notice": "通知",
        "link.notice": "阅读通知",
        "notice.title": "关于您的商品 {listing} 的通知",
        "notice.what_h": "发生了什么",
        "notice.why_h": "原因",
        "notice.todo_h": "您需要做什么",
        "notice.deadline_h": "申诉截止日期",
        "notice.recall_link": "召回公告原文",
        "notice.hazard": "危险",
        "notice.json": "此通知的数据格式（JSON）",
        "appeal.h": "对此决定提出申诉",
        "appeal.kind": "您要告诉我们什么？",
        "appeal.kind_appeal": "我的商品不是被召回的产品",
        "appeal.kind_attestation": "我的库存不在召回的批次、序列号或生产日期范围内",
        "appeal.message": "请说明理由（必填）",
        "appeal.ranges": "召回仅涉及：{ranges}",
        "appeal.attested": "您库存的批次、批号、序列号或生产日期",
        "appeal.photos": "产品标签照片（JPEG、PNG 或 WebP；最多 {n} 张，每张不超过 {mb} MB）",
        "appeal.submit": "提交申诉",
        "appeal.open": "您于 {date} 提出的申诉正在审核中。",
        "appeal.upheld": "您的申诉已于 {date} 获得支持：限制已解除。",
        "appeal.confirmed": "您的申诉已于 {date} 审核：限制维持不变。{reason}",
        "appeal.sent": "申诉已提交。审核员将作出决定，结果会显示在此通知中。",
        "appeal.none": "—",
        "state.proposed": "待定",
        "state.approved": "已限制",
        "state.sent": "已限制",
        "state.confirmed": "已限制",
        "state.failed": "已限制",
        "state.reversed": "已解除",
        "state.withdrawn": "已撤回",
        "lang.switch": "语言",
    },
}


def t(lang: str, key: str, **values: object) -> str:
    """The message ``key`` in ``lang`` (English when missing), with ``values`` filled in.

    >>> t("en", "col.listing"), t("xx", "col.listing")
    ('Listing', 'Listing')
    """
    template = MESSAGES.get(lang, {}).get(key) or MESSAGES["en"].get(key, key)
    return template.format(**values) if values else template


def pick_language(accept_language: str | None, requested: str | None, listing_language: str) -> str:
    """The seller's language: requested, else the listing's, else the browser's, else English.

    >>> pick_language("zh-CN,zh;q=0.9", None, ""), pick_language(None, "zh", "en")
    ('zh', 'zh')
    >>> pick_language(None, None, "zh")
    'zh'
    """
    for candidate in (requested, listing_language):
        code = (candidate or "").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return "en"
