"""PynamoDB models of questions, votes and per-session question settings (main table).

| item | pk | sk | gsi1pk, gsi1sk | gsi2pk, gsi2sk |
|---|---|---|---|---|
| question, approved | QUESTION#<id> | QUESTION | SESSION#<sid>#QUESTIONS#TOP#<0..7>, <votes:08d>#<id> | SESSION#<sid>#QUESTIONS, <id> |
| question, pending | QUESTION#<id> | QUESTION | SESSION#<sid>#QUESTIONS#pending, 00000000#<id> | SESSION#<sid>#QUESTIONS#pending#<askerId>, <id> |
| question, hidden | QUESTION#<id> | QUESTION | SESSION#<sid>#QUESTIONS#hidden#TOP, <votes:08d>#<id> | SESSION#<sid>#QUESTIONS#hidden, <id> |
| vote | QUESTION#<id> | VOTE#<memberId> | | |
| settings | SESSION#<sid> | QUESTIONS#SETTINGS | | |

Public lists read only the approved partitions, so pending and hidden questions are never read on the
public's behalf. Queried newest/most-voted first (descending), so ties in votes come newest first.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from backchannel.core.dynamo.table import Item


class QuestionItem(Item, discriminator="Question"):
    id = UnicodeAttribute()
    event_id = UnicodeAttribute(attr_name="eventId")
    session_id = UnicodeAttribute(attr_name="sessionId")
    asker_id = UnicodeAttribute(attr_name="askerId")
    asker_name = UnicodeAttribute(attr_name="askerName")
    text = UnicodeAttribute()
    anonymous = BooleanAttribute(default=False)
    status = UnicodeAttribute()
    answered = BooleanAttribute(default=False)
    answered_at = UnicodeAttribute(null=True, attr_name="answeredAt")
    votes = NumberAttribute(default=0)
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")


class VoteItem(Item, discriminator="Vote"):
    question_id = UnicodeAttribute(attr_name="questionId")
    session_id = UnicodeAttribute(attr_name="sessionId")
    member_id = UnicodeAttribute(attr_name="memberId")
    created_at = UnicodeAttribute(attr_name="createdAt")


class QuestionSettingsItem(Item, discriminator="QuestionSettings"):
    session_id = UnicodeAttribute(attr_name="sessionId")
    pre_moderation = BooleanAttribute(attr_name="preModeration", default=False)
    updated_at = UnicodeAttribute(null=True, attr_name="updatedAt")
