"""Documents attached to a forum's background (첨부 문서). Staff upload PDF, PNG, JPEG, HWP/HWPX (한글), DOCX,
XLSX or PPTX files; each upload is recognised by its content (magic bytes, or the parts inside the ZIP
container) and must agree with its extension. Files live in the shared storage (core/storage.py) under
forums/<random name>, and are only ever served as downloads (Content-Disposition: attachment)."""

import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from participation.core import storage
from participation.core.audit import audit
from participation.core.errors import Conflict, NotFound, ValidationError
from participation.core.permissions import Role, require_role
from participation.extensions import db
from participation.forums.models import ATTACHMENT_NAME_MAX, Forum, ForumAttachment, ForumState

MAX_BYTES = 20 * 1024 * 1024
MAX_PER_FORUM = 10
# The request may carry one file of MAX_BYTES plus the form around it (the app's default limit is lower).
REQUEST_LIMIT = MAX_BYTES + 1024 * 1024
EDITABLE_STATES = (ForumState.draft, ForumState.open)
SUBJECT = "forum_attachment"

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML = "application/vnd.openxmlformats-officedocument."
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "hwp": "application/x-hwp",
    "hwpx": "application/hwp+zip",
    "docx": OOXML + "wordprocessingml.document",
    "xlsx": OOXML + "spreadsheetml.sheet",
    "pptx": OOXML + "presentationml.presentation",
}
EXTENSIONS = {"pdf": "pdf", "png": "png", "jpg": "jpg", "jpeg": "jpg", "hwp": "hwp", "hwpx": "hwpx",
              "docx": "docx", "xlsx": "xlsx", "pptx": "pptx"}
# The part that makes an Office Open XML package a document, a workbook or a presentation.
OOXML_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}
TYPE_LABELS = {"pdf": "PDF", "png": "PNG", "jpg": "JPEG", "hwp": _l("한글(HWP)"), "hwpx": _l("한글(HWPX)"),
               "docx": _l("워드(DOCX)"), "xlsx": _l("엑셀(XLSX)"), "pptx": _l("파워포인트(PPTX)")}
KIND_BY_CONTENT_TYPE = {content_type: kind for kind, content_type in CONTENT_TYPES.items()}


@dataclass
class Upload:
    filename: str
    data: bytes


PART = "forums"


def attachment_key(attachment: ForumAttachment) -> str:
    return f"{PART}/{attachment.stored_name}"


def type_label(content_type: str) -> str:
    kind = KIND_BY_CONTENT_TYPE.get(content_type)
    return str(TYPE_LABELS[kind]) if kind else content_type


def clean_name(filename: str) -> str:
    """The name the file will be downloaded under: no folders, no control characters, NFC (Korean names from
    macOS arrive decomposed), at most ATTACHMENT_NAME_MAX characters with the extension kept."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip().strip(".")
    if len(name) > ATTACHMENT_NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        name = stem[:ATTACHMENT_NAME_MAX - len(extension) - 1] + dot + extension if dot else name[:ATTACHMENT_NAME_MAX]
    return name


def _zip_kind(raw: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(raw)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as part:
                    if part.read(64).strip() == b"application/hwp+zip" and any(
                            name.startswith("Contents/") for name in names):
                        return "hwpx"
            if "[Content_Types].xml" in names:
                for kind, part in OOXML_PARTS.items():
                    if part in names:
                        return kind
    # zipfile raises NotImplementedError for a compression method it cannot read: not a document we accept.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, KeyError, NotImplementedError):
        return None
    return None


def sniff(raw: bytes) -> str | None:
    """The kind of document the bytes are ("pdf", "hwp", "docx", …), or None when not one we accept."""
    if raw.startswith(b"%PDF-"):
        return "pdf"
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if raw.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if raw.startswith(OLE_MAGIC):
        # HWP 5.0 is an OLE compound file whose FileHeader stream starts with this signature.
        return "hwp" if b"HWP Document File" in raw and "FileHeader".encode("utf-16-le") in raw else None
    if raw.startswith(b"PK\x03\x04"):
        return _zip_kind(raw)
    return None


def check_upload(upload: Upload) -> tuple[str, str]:
    """(clean file name, kind) of an acceptable upload; raise ValidationError({"file": ...}) otherwise."""
    name = clean_name(upload.filename)
    if not upload.data:
        raise ValidationError({"file": _l("올릴 파일을 골라 주세요. 빈 파일은 올릴 수 없습니다.")})
    if len(upload.data) > MAX_BYTES:
        raise ValidationError({"file": _l("첨부 문서는 한 개에 %(mb)dMB 이하여야 합니다.", mb=MAX_BYTES // 2**20)})
    extension = EXTENSIONS.get(name.rpartition(".")[2].lower()) if "." in name else None
    kind = sniff(upload.data)
    if extension is None or kind is None or kind != extension:
        raise ValidationError({"file": _l(
            "PDF, PNG, JPEG, 한글(HWP·HWPX), 워드(DOCX), 엑셀(XLSX), 파워포인트(PPTX) 문서만 올릴 수 있습니다. "
            "파일 내용이 확장자와 맞는지 확인해 주세요.")})
    return name, kind


def _require_editable(forum: Forum, actor) -> None:
    require_role(actor, Role.staff)
    if forum.state not in EDITABLE_STATES:
        raise Conflict(_l("초안이거나 의견을 받는 중인 공론장에만 문서를 첨부하거나 지울 수 있습니다."))


def count_for(forum_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(ForumAttachment)
                             .where(ForumAttachment.forum_id == forum_id)) or 0


def attach(forum: Forum, actor, upload: Upload) -> ForumAttachment:
    """Check the upload (nothing is stored when it is refused), store the file, add the row, audit. Flushes."""
    _require_editable(forum, actor)
    name, kind = check_upload(upload)
    # One upload at a time per forum, so that two staff members cannot pass the limit together.
    db.session.execute(select(Forum.id).where(Forum.id == forum.id).with_for_update())
    if count_for(forum.id) >= MAX_PER_FORUM:
        raise ValidationError({"file": _l("공론장 하나에 문서는 %(max)d개까지 첨부할 수 있습니다.", max=MAX_PER_FORUM)})
    stored_name = f"{secrets.token_hex(16)}.{kind}"
    storage.save(f"{PART}/{stored_name}", upload.data, CONTENT_TYPES[kind])
    attachment = ForumAttachment(forum_id=forum.id, original_name=name, stored_name=stored_name,
                                 content_type=CONTENT_TYPES[kind], size=len(upload.data),
                                 uploaded_by_id=getattr(actor, "id", None))
    db.session.add(attachment)
    db.session.flush()
    audit(actor, SUBJECT, attachment.id, "attached", f"forum {forum.id}: {name}")
    db.session.flush()
    return attachment


def get_attachment(forum: Forum, attachment_id: int) -> ForumAttachment:
    attachment = db.session.get(ForumAttachment, attachment_id)
    if attachment is None or attachment.forum_id != forum.id:
        raise NotFound()
    return attachment


def remove(forum: Forum, attachment: ForumAttachment, actor) -> None:
    """Delete the row and audit it; the file goes when this commits. Flushes."""
    _require_editable(forum, actor)
    audit(actor, SUBJECT, attachment.id, "removed", f"forum {forum.id}: {attachment.original_name}")
    storage.delete(attachment_key(attachment))
    db.session.delete(attachment)
    db.session.flush()


def attachments_of(forum_id: int) -> list[ForumAttachment]:
    return list(db.session.scalars(select(ForumAttachment).where(ForumAttachment.forum_id == forum_id)
                                   .order_by(ForumAttachment.id)))
