"""Use cases. Each takes its ports as arguments; none imports boto3."""
