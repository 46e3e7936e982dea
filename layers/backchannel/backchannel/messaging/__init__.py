"""Messaging: everything that leaves the process (EventBridge now; SQS, SES and HTTP out later)."""
