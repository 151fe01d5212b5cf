"""The only code that touches boto3: one module per AWS service."""
