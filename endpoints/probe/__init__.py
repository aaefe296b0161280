"""Test Connection: one engine of named steps, one outbound HTTP seam."""
