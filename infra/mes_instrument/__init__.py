"""Instrumentation for the tests and the bench, apart from the local stack (never in Lambda).

- ``awscount``: counts AWS requests, DynamoDB items read and S3 object bytes (a botocore hook);
- ``botocache``: one parsed botocore model per process (test speed);
- ``motofix``: moto's TransactWriteItems without its whole-table copy (test double speed).
"""
