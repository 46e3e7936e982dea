"""Questions API: ask questions per session, vote for them, and (organisers) moderate them."""

from __future__ import annotations

from backchannel.circulation.dynamo import DynamoCirculationRepo
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.config import get_config
from backchannel.core.errors import FieldError, ValidationFailed
from backchannel.questions import rules as questions
from backchannel.questions import schemas
from backchannel.questions.dynamo import DynamoQuestionsRepo
from backchannel.questions.model import SORTS

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
asked = wiring.factory(DynamoQuestionsRepo)
blocks = wiring.factory(DynamoCirculationRepo)  # the questions of members the reader blocked are left out


def _sort() -> str:
    sort = http.query(app, "sort") or "top"
    if sort not in SORTS:
        raise ValidationFailed(FieldError("sort", "must be one of " + ", ".join(SORTS)))
    return sort


@app.post(
    "/sessions/<sessionId>/questions",
    limit="questions",
    request=schemas.QUESTION_CREATE,
    response=schemas.QUESTION,
    errors=(404, 409),
    replay=True,
)
def ask_question(sessionId: str):
    """Ask a question in a session (anonymous: shown without your name; replaying a client id is safe)"""
    body = http.body(app, schemas.QUESTION_CREATE)
    window_days = get_config().write_window_days
    view, created = questions.ask(
        store(), asked(), http.caller(app), sessionId, body, window_days=window_days
    )
    if created:
        wiring.count(QuestionsAsked=1)
    return http.created(view.to_json(), f"/questions/{view.question.id}", new=created)


@app.get(
    "/sessions/<sessionId>/questions", response=schemas.QUESTION, public=True, paginated=True, errors=(404,)
)
def list_questions(sessionId: str):
    """A session's questions you may see (?sort=top: most votes first, the default; ?sort=new)"""
    sort = _sort()
    limit, cursor = http.page_args(app)
    caller = http.optional_caller(app)
    return http.page(
        questions.list_questions(store(), asked(), caller, sessionId, sort, limit, cursor, blocks())
    )


@app.get("/questions/<questionId>", response=schemas.QUESTION, public=True, errors=(404,))
def get_question(questionId: str):
    """A question you may see"""
    return http.ok(questions.get_question(store(), asked(), http.optional_caller(app), questionId).to_json())


@app.patch(
    "/questions/<questionId>",
    limit="organising",
    request=schemas.QUESTION_UPDATE,
    response=schemas.QUESTION,
    errors=(403, 404, 409),
)
def moderate_question(questionId: str):
    """Approve or hide a question, or mark it answered (the event's organisers)"""
    changes = http.body(app, schemas.QUESTION_UPDATE, partial=True)
    return http.ok(questions.moderate(store(), asked(), http.caller(app), questionId, changes).to_json())


@app.post(
    "/questions/<questionId>/votes", limit="votes", response=schemas.QUESTION, errors=(404, 409), replay=True
)
def vote(questionId: str):
    """Vote for a question (once: 201 the first time, 200 when you had voted already)"""
    window_days = get_config().write_window_days
    view, added = questions.vote(store(), asked(), http.caller(app), questionId, window_days=window_days)
    if added:
        wiring.count(QuestionVotes=1)
    return http.created(view.to_json(), f"/questions/{questionId}", new=added)


@app.delete("/questions/<questionId>/votes", limit="votes", errors=(404,))
def withdraw_vote(questionId: str):
    """Withdraw your vote (idempotent)"""
    questions.withdraw_vote(store(), asked(), http.caller(app), questionId)
    return http.no_content()


@app.get(
    "/sessions/<sessionId>/questions/settings", response=schemas.QUESTION_SETTINGS, public=True, errors=(404,)
)
def get_settings(sessionId: str):
    """A session's question settings (whether questions are pre-moderated)"""
    return http.ok(questions.get_settings(store(), asked(), http.optional_caller(app), sessionId).to_json())


@app.put(
    "/sessions/<sessionId>/questions/settings",
    limit="organising",
    request=schemas.QUESTION_SETTINGS_PUT,
    response=schemas.QUESTION_SETTINGS,
    errors=(403, 404),
)
def put_settings(sessionId: str):
    """Set a session's question settings (the event's organisers)"""
    settings = http.body(app, schemas.QUESTION_SETTINGS_PUT)
    return http.ok(questions.put_settings(store(), asked(), http.caller(app), sessionId, settings).to_json())


lambda_handler = http.lambda_handler(app)
