"""Sample library content for the demo school: folders, a private room, documents, pages,
comments and approvals, all made through the library's own services (so they are audited
and indexed for search like anything a person adds)."""

from gvo.core.identity import Identity
from gvo.discussion import approvals, comments, subjects
from gvo.library import documents, folders, pages
from gvo.storage.sqlcipher import Connection

_LIMIT = 5 * 1024 * 1024


class _File:
    """An in-memory upload."""

    def __init__(self, filename: str, data: bytes):
        self.filename, self._data = filename, data

    def chunks(self):
        """The file in one piece."""
        yield self._data


def _pdf(title: str, sections: list[tuple[str, str]]) -> bytes:
    from gvo.meetings.pdf import Document

    doc = Document(f"Riverside Primary - {title}")
    doc.add_page()
    doc.heading(title)
    for heading, text in sections:
        doc.heading(heading, 13)
        doc.para(text)
    return doc.bytes()


CODE_OF_CONDUCT = _pdf("Governors' code of conduct 2026-27", [
    ("Purpose", "This code sets out the expectations on, and commitment required from, "
     "governors of Riverside Primary in order for the board to properly carry out its work."),
    ("Confidentiality", "We will observe complete confidentiality when matters are deemed "
     "confidential, and will not reveal the details of any governing board vote."),
    ("Conflicts of interest", "We will record any pecuniary or other business interest in "
     "the register of interests and declare it at the start of any meeting."),
])
SAFEGUARDING = _pdf("Safeguarding and child protection policy", [
    ("Designated safeguarding lead", "The headteacher is the designated safeguarding lead; "
     "the deputy headteacher is the deputy lead."),
    ("Training", "All staff and governors complete safeguarding training every year; the "
     "nominated safeguarding governor completes the advanced course."),
    ("Online safety", "Filtering and monitoring are reviewed termly by the safeguarding "
     "governor with the computing lead."),
])
PAY_RECOMMENDATION = _pdf("Headteacher pay recommendation", [
    ("Recommendation", "The external adviser recommends progression of one point on the "
     "leadership pay range, subject to the pay panel's decision."),
])
BUDGET_CSV = (
    b"Budget line,Annual budget,Spent to date,Forecast\n"
    b"Teaching staff,1215000,598400,1209000\n"
    b"Support staff,402000,201300,404500\n"
    b"Premises,86000,51200,91000\n"
    b"Learning resources,42000,17900,41000\n"
)


def _upload(conn: Connection, who: Identity, folder: int, filename: str, data: bytes,
            title: str, description: str = "") -> int:
    """Upload one file and give it a title people would use."""
    [doc_id] = documents.add_files(conn, who, folder, [_File(filename, data)], limit=_LIMIT)
    documents.update_document(conn, who, doc_id, title=title, description=description)
    return doc_id


def sample(conn: Connection, ids: dict[str, int], pay_panel_group: int) -> None:
    """Fill the demo library (ids: demo users by e-mail)."""
    clerk, chair, head, governor = (
        Identity(ids[f"{who}@riverside.example"], role, email=f"{who}@riverside.example")
        for who, role in (("clerk", "manager"), ("chair", "editor"), ("head", "editor"),
                          ("governor", "author")))

    governance = folders.create_folder(
        conn, clerk, parent_id=None, title="Governance", sort_order=1,
        description="Instrument of government, terms of reference, code of conduct.")
    policies = folders.create_folder(
        conn, clerk, parent_id=None, title="Policies", sort_order=2,
        description="Statutory and school policies, with their review dates.")
    finance = folders.create_folder(
        conn, clerk, parent_id=None, title="Finance", sort_order=3,
        description="Budget, monitoring reports and the schools financial value standard.")
    visits = folders.create_folder(
        conn, clerk, parent_id=None, title="Governor visits", sort_order=4,
        description="Notes of monitoring visits to school.")
    # A private room: open to the pay panel only, so not even the clerk sees it.
    room = folders.create_folder(
        conn, clerk, parent_id=None, title="Pay panel (confidential)", sort_order=9,
        description="Headteacher pay and performance: pay panel members only.",
        restricted=True, groups=[pay_panel_group])

    conduct = _upload(conn, clerk, governance, "code-of-conduct-2026-27.pdf", CODE_OF_CONDUCT,
                      "Governors' code of conduct 2026-27",
                      "Adopted each autumn; every governor reads and approves it.")
    pages.create_page(conn, clerk, governance, title="Terms of reference: Resources committee",
                      body="## Purpose\n\nThe Resources committee oversees **finance**, "
                           "**premises**, **staffing** and **health and safety**.\n\n"
                           "## Membership\n\nAt least four governors; quorum is three.\n\n"
                           "## Meetings\n\nOnce each half term.")
    safeguarding = _upload(conn, head, policies, "safeguarding-policy.pdf", SAFEGUARDING,
                           "Safeguarding and child protection policy",
                           "Annual review: for the board's approval.")
    pages.create_page(conn, clerk, policies, title="Policy review schedule",
                      body="| Policy | Owner | Next review |\n|---|---|---|\n"
                           "| Safeguarding | Full board | September 2027 |\n"
                           "| Charging and remissions | Resources | March 2027 |\n"
                           "| Complaints | Full board | June 2027 |\n")
    _upload(conn, clerk, finance, "budget-monitoring-q2.csv", BUDGET_CSV,
            "Budget monitoring, quarter 2")
    visit = pages.create_page(
        conn, governor, visits, title="Visit note: Year 2 phonics",
        body="Visited Year 2 phonics groups with the English lead.\n\n"
             "- Groups are small and well matched to pupils' stages.\n"
             "- Pupils read decodable books matched to the sounds they know.\n\n"
             "**Question for the head:** how are pupils who missed the screening check "
             "being supported?")
    _upload(conn, chair, room, "headteacher-pay-recommendation.pdf", PAY_RECOMMENDATION,
            "Headteacher pay recommendation")

    conduct_subject = subjects.load(conn, clerk, "document", conduct)
    approvals.request_approval(conn, clerk, conduct_subject, "read_approved")
    approvals.approve(conn, governor, subjects.load(conn, governor, "document", conduct))
    approvals.approve(conn, chair, subjects.load(conn, chair, "document", conduct))

    policy = subjects.load(conn, head, "document", safeguarding)
    approvals.request_approval(conn, head, policy, "approved")
    question = comments.add(conn, governor, subjects.load(conn, governor, "document",
                                                          safeguarding),
                            "Section 3: should the online safety review be termly or "
                            "half-termly, given the new filtering guidance?")
    comments.add(conn, head, policy, "Termly is what the guidance asks for; I have added "
                 "a line saying we review sooner after any incident.", parent_id=question)
    comments.add(conn, head, subjects.load(conn, head, "page", visit),
                 "Thank you, Grace. They get daily keep-up sessions; I will bring the "
                 "numbers to the next Teaching and Learning meeting.")
