"""API Gateway, locally: the ASGI app uvicorn serves on the emulator's ports.

The WebSocket stage (`websocket_api`), the HTTP API (`http_api`), the Management API
(`management_api`), the Lambda authorizers of both APIs (`authorizers`), the live
connections (`connections`), the events handed to functions (`events`), the request
limits enforced before any route (`limits`) and the app itself, with its orderly stop
(`app`). The same port serves Lambda's Invoke API (`lambda_api`), as `sam local
start-lambda` does, for the functions' own `lambda` clients.
"""
