"""The REST layer: the HTTP API's Starlette app (chats, history, members, presence)."""
