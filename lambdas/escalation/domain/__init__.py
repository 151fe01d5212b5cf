"""The escalation domain: pure Python, no boto3. Tested without any emulator."""
