"""Population frames for weighting survey results: a CSV of district, age band, count, with its source and date,
loaded by staff from the city's published figures (the repository ships none). Flush, never commit."""

import csv
import io
from datetime import date

from flask_babel import lazy_gettext as _l

from participation.core.audit import audit
from participation.core.errors import ValidationError
from participation.core.input import clean_text, refuse_nul_in_file
from participation.core.permissions import Role, require_role
from participation.core.seoul import AGE_BANDS, DISTRICTS
from participation.extensions import db
from participation.surveys.models import PopulationCell, PopulationFrame

FRAME_COLUMNS = ("district", "age_band", "count", "source", "as_of")
FRAME_MAX_BYTES = 200_000
FRAME_MAX_COUNT = 100_000_000


def load_population_frame(actor, data: bytes, *, is_example: bool = False) -> PopulationFrame:
    """A CSV with the columns district, age_band, count, source, as_of (one source and date for the file)."""
    require_role(actor, Role.staff)
    if len(data) > FRAME_MAX_BYTES:
        raise ValidationError({"file": _l("파일이 너무 큽니다.")})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _l("UTF-8 CSV 파일이어야 합니다.")}) from None
    refuse_nul_in_file(text, "file")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != FRAME_COLUMNS:
        raise ValidationError({"file": _l("첫 줄은 %(columns)s 이어야 합니다.", columns=",".join(FRAME_COLUMNS))})
    problems, cells, sources, dates = [], {}, set(), set()
    for line, row in enumerate(reader, start=2):
        district, band = (row.get("district") or "").strip(), (row.get("age_band") or "").strip()
        try:
            count = int((row.get("count") or "").strip())
            as_of = date.fromisoformat((row.get("as_of") or "").strip())
        except ValueError:
            problems.append(str(_l("%(line)d번째 줄: 인원은 정수, 기준일은 YYYY-MM-DD여야 합니다.", line=line)))
            continue
        if district not in DISTRICTS or band not in AGE_BANDS or not 0 <= count <= FRAME_MAX_COUNT:
            problems.append(str(_l("%(line)d번째 줄: 자치구·연령대·인원을 확인해 주세요.", line=line)))
        elif (district, band) in cells:
            problems.append(str(_l("%(line)d번째 줄: 같은 자치구·연령대가 두 번 있습니다.", line=line)))
        cells[(district, band)] = count
        sources.add(clean_text(row.get("source"), "file", 10**6, required=False))
        dates.add(as_of)
    if not cells and not problems:
        problems.append(str(_l("자료 줄이 없습니다.")))
    if len(sources) > 1 or "" in sources or len(dates) > 1:
        problems.append(str(_l("출처와 기준일은 모든 줄에서 같아야 하고 비어 있으면 안 됩니다.")))
    if problems:
        raise ValidationError({"file": problems[:20]})
    source = sources.pop()
    if len(source) > 300:
        raise ValidationError({"file": _l("출처는 300자 이내여야 합니다.")})
    frame = PopulationFrame(source=source, as_of=dates.pop(), is_example=is_example, uploaded_by_id=actor.id)
    frame.cells = [PopulationCell(district=d, age_band=b, count=c) for (d, b), c in cells.items()]
    db.session.add(frame)
    db.session.flush()
    audit(actor, "survey_population_frame", frame.id, "loaded", source)
    return frame
