"""The delivery layer: posting frames to connections through the Management API."""
