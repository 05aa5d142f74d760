"""Calls: WebRTC signalling between the devices of a chat's members. Media never passes here.

A call rings the invitees' devices (``call:ringing``), is answered on one device of each
(the others hear ``call:answered-elsewhere``), declined, cancelled, or missed when nobody
answers within the ring timeout, which the server enforces with a delayed timer
(``timers``); once answered, peers (one device per user, at most ``protocol.MAX_CALL_PEERS``,
a full mesh) exchange offers, answers and ICE candidates through ``call:signal``, each
relayed to the one peer it names, and announce screen sharing (``call:screen``). A peer
whose connection drops is removed after a grace period unless it rejoins from a new
connection (``call:rejoin``; a renewed connection does that before the old one closes).

Modules: ``lifecycle`` (the transitions and who hears of each), ``notify`` (posting to
peers and users' devices), ``history`` (the call's message in the chat), ``timers`` (the
ring timeout and the grace period, as delayed SQS messages), ``ice`` (STUN and TURN
servers with short-lived TURN credentials). The call itself lives in Redis
(shared/state/calls.py).
"""
