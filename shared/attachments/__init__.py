"""Attachments: files members share in a chat, kept in S3, never sent through the WebSocket.

The life of one file:

1. ``uploads.grant``: a member asks for an upload (REST ``POST /chats/{chatId}/attachments``
   with name, size and content type) and gets a presigned POST that S3 accepts only for
   that exact size and type, under ``pending/{chatId}/{userId}/{attachmentId}``. The
   browser or app posts the file straight to S3.
2. ``attached.attach``: ``message:send`` names attachment ids; each one is checked
   (HeadObject: it exists under the sender's own pending key for this chat, its size and
   type are the declared ones and allowed) and copied to ``files/{chatId}/{attachmentId}``
   (CopyObject, on the ETag that was checked) before the message is stored. A second POST
   under the same grant can replace only the pending copy, never the attached file.
3. Members read files through presigned GETs (``attached.to_wire``), minted for each
   message a member is shown and on request (REST ``GET /chats/{chatId}/attachments/{id}``).
4. ``attached.release``: deleting a message deletes its files.

Uploads never attached expire with the bucket's lifecycle rule on ``pending/``
(template.yaml ``AttachmentsBucket``).
"""
