"""Moderation: members report posts, notes and questions; an event's organisers work through the
reports, hide and unhide items (and approve held posts), mute members and remove them from private
events. Every action is kept in the event's audit log."""
