"""Data access: the only code that talks to DynamoDB. It turns AWS errors into domain errors."""
