"""The fault-injection suite: kill -9, full disks and concurrent runs against every command that writes."""
