"""The Harbor-compatible REST API (v2.0, the registry part), on top of `endpoints`."""
