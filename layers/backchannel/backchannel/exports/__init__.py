"""Exports (``POST /me/export``, GDPR Art. 20): everything of a member's, as JSON and Markdown in one
zip, built by the export worker and downloaded by a presigned link (see :mod:`backchannel.exports.rules`)."""
