"""The domain: pure rules. No boto3, no event shapes; persistence arrives as a small ``Store`` interface."""
