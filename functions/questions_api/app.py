"""Questions API: ask questions per session, vote for them, and (organisers) moderate them."""

from __future__ import annotations

from aws_lambda_powertools.logging import correlation_paths

from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.config import get_config
from backchannel.core.errors import FieldError, ValidationFailed
from backchannel.core.observability import logger, metrics
from backchannel.questions import rules as questions
from backchannel.questions import schemas as question_schemas
from backchannel.questions.dynamo import DynamoQuestionsRepo
from backchannel.questions.model import SORTS

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
asked = wiring.factory(DynamoQuestionsRepo)


def _sort() -> str:
    sort = (app.current_event.query_string_parameters or {}).get("sort") or "top"
    if sort not in SORTS:
        raise ValidationFailed(FieldError("sort", "must be one of " + ", ".join(SORTS)))
    return sort


@app.post("/sessions/<sessionId>/questions")
@http.operation(
    summary="Ask a question in a session (anonymous: shown without your name; replaying a client id is safe)",
    request=question_schemas.QUESTION_CREATE,
    response=question_schemas.QUESTION,
    status=201,
    errors=(404, 409),
)
def ask_question(sessionId: str):
    view, created = questions.ask(
        store(),
        asked(),
        http.caller(app),
        sessionId,
        lambda: http.json_body(app, question_schemas.QUESTION_CREATE),
        window_days=get_config().write_window_days,
    )
    if created:
        metrics.add_metric(name="QuestionsAsked", unit="Count", value=1)
        return http.created(view.to_json(), f"/questions/{view.question.id}")
    return http.ok(view.to_json())


@app.get("/sessions/<sessionId>/questions")
@http.operation(
    summary="A session's questions you may see (?sort=top: most votes first, the default; ?sort=new)",
    response=question_schemas.QUESTION,
    public=True,
    paginated=True,
    errors=(404,),
)
def list_questions(sessionId: str):
    sort = _sort()
    limit, cursor = http.page_args(app)
    page = questions.list_questions(
        store(), asked(), http.optional_caller(app), sessionId, sort, limit, cursor
    )
    return http.page(page, lambda v: v.to_json())


@app.get("/questions/<questionId>")
@http.operation(
    summary="A question you may see", response=question_schemas.QUESTION, public=True, errors=(404,)
)
def get_question(questionId: str):
    return http.ok(questions.get_question(store(), asked(), http.optional_caller(app), questionId).to_json())


@app.patch("/questions/<questionId>")
@http.operation(
    summary="Approve or hide a question, or mark it answered (the event's organisers)",
    request=question_schemas.QUESTION_UPDATE,
    response=question_schemas.QUESTION,
    partial=True,
    errors=(403, 404, 409),
)
def moderate_question(questionId: str):
    view = questions.moderate(
        store(),
        asked(),
        http.caller(app),
        questionId,
        lambda: http.json_body(app, question_schemas.QUESTION_UPDATE, partial=True),
    )
    return http.ok(view.to_json())


@app.post("/questions/<questionId>/votes")
@http.operation(
    summary="Vote for a question (once: 201 the first time, 200 when you had voted already)",
    response=question_schemas.QUESTION,
    status=201,
    errors=(404, 409),
)
def vote(questionId: str):
    view, added = questions.vote(
        store(), asked(), http.caller(app), questionId, window_days=get_config().write_window_days
    )
    if added:
        metrics.add_metric(name="QuestionVotes", unit="Count", value=1)
        return http.created(view.to_json(), f"/questions/{questionId}")
    return http.ok(view.to_json())


@app.delete("/questions/<questionId>/votes")
@http.operation(summary="Withdraw your vote (idempotent)", status=204, errors=(404,))
def withdraw_vote(questionId: str):
    questions.withdraw_vote(store(), asked(), http.caller(app), questionId)
    return http.no_content()


@app.get("/sessions/<sessionId>/questions/settings")
@http.operation(
    summary="A session's question settings (whether questions are pre-moderated)",
    response=question_schemas.QUESTION_SETTINGS,
    public=True,
    errors=(404,),
)
def get_settings(sessionId: str):
    return http.ok(questions.get_settings(store(), asked(), http.optional_caller(app), sessionId).to_json())


@app.put("/sessions/<sessionId>/questions/settings")
@http.operation(
    summary="Set a session's question settings (the event's organisers)",
    request=question_schemas.QUESTION_SETTINGS_PUT,
    response=question_schemas.QUESTION_SETTINGS,
    errors=(403, 404),
)
def put_settings(sessionId: str):
    settings = questions.put_settings(
        store(),
        asked(),
        http.caller(app),
        sessionId,
        lambda: http.json_body(app, question_schemas.QUESTION_SETTINGS_PUT),
    )
    return http.ok(settings.to_json())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return http.handle(app, event, context)
