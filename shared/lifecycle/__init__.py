"""The lifecycle layer: a connection's life (opened, closed, swept) and presence announcements."""
