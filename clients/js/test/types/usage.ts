// Type-checked by `npm test` (never run): the declarations type what a program uses.
import {
  Action,
  ErrorCode,
  SwitchboardClient,
  SwitchboardError,
  type ChatPresence,
  type CallInvited,
  type CallJoined,
  type HeldCall,
  type KeepAlivePlan,
  type Message,
  type UploadGrant,
  UploadError,
  type Renewed,
  type StateChange,
} from "@switchboard/client";

const client = new SwitchboardClient({
  url: "ws://127.0.0.1:3001/local",
  token: async () => "jwt",
  restUrl: "http://127.0.0.1:3001/api",
  requestTimeoutMs: 5000,
  messageLimit: Infinity,
  renewConnections: true,
});
const off: () => void = client.on("message", (m: Message) => console.log(m.senderId, m.body));
client.on("state", (change: StateChange) => console.log(change.state, change.delayMs));
client.on("typing:update", ({ chatId, userIds }) => console.log(chatId, userIds.join()));
client.on("error", (error) => console.log(error.code));
client.on("client:renewed", (renewed: Renewed) => {
  const number: number = renewed.connectionNumber;
  console.log(renewed.connectionId, renewed.previousConnectionId, number);
});
off();

async function main(): Promise<void> {
  const hello = await client.connect();
  const chats: string[] = hello.chats;
  const pingEvery: number | undefined = hello.keepAlive?.intervalSeconds;
  const plan: KeepAlivePlan | null = client.keepAlive;
  const pinged: string | null | undefined = plan?.ping;
  const renewAfter: number | undefined = hello.renew?.afterSeconds;
  const cutAfter: number | undefined = hello.renew?.maxSeconds;
  console.log(renewAfter, cutAfter);
  const stored: Message = await client.send(chats[0], "hello", { clientMessageId: "m1" });
  const read = await client.markRead(stored.chatId, stored.id);
  console.log(read.readAt, client.lastMessageId(stored.chatId), client.typingUsers(stored.chatId));
  const listed: Message[] = client.messages(stored.chatId);
  const held: Message | null = client.getMessage(stored.chatId, stored.id);
  console.log(listed.length, held?.version);
  // @ts-expect-error: a chat id is a string
  client.messages(42);
  const presence: ChatPresence = await client.chatPresence(chats[0]);
  const count: number | null = presence.onlineCount;
  if (presence.cursor !== null) await client.chatPresence(chats[0], presence.cursor);
  const online: string[] = (await client.onlineMembers(chats[0])).users.map((u) => u.userId);
  const away: boolean = presence.users.some((u) => u.status === "away") || presence.degraded === true;
  console.log(count, online.length, away, presence.announced);
  // @ts-expect-error: a cursor is the string an answer gave
  await client.chatPresence(chats[0], 17);
  try {
    await client.request(Action.MESSAGE_SEND, { chatId: "x", body: "y" });
  } catch (error) {
    if (error instanceof SwitchboardError && error.code === ErrorCode.FORBIDDEN) console.log(error.data);
  }
  // @ts-expect-error: not a status
  await client.setPresence("sleeping");
  // @ts-expect-error: not an event
  client.on("message:new", () => {});
  // @ts-expect-error: renewals carry no hello
  client.on("client:renewed", (renewed) => console.log(renewed.chats));
  // Attachments.
  const grant: UploadGrant = await client.uploadAttachment(chats[0], new Uint8Array([1, 2]), { name: "a.png", contentType: "image/png" });
  const withFile: Message = await client.send(chats[0], null, { attachments: [grant.attachmentId] });
  const url: string | undefined = withFile.attachments?.[0]?.url;
  const fresh = await client.attachment(chats[0], grant.attachmentId);
  console.log(url, fresh.urlExpiresAt, fresh.size, withFile.call?.status);
  try {
    await client.uploadAttachment(chats[0], new Blob(["x"]), { name: "x.txt", contentType: "text/plain" });
  } catch (error) {
    if (error instanceof UploadError) console.log(error.status, error.code);
  }
  // Calls.
  const invited: CallInvited = await client.inviteCall(chats[0], { media: "video", userIds: ["bob"] });
  const busy: string[] = invited.busy;
  // @ts-expect-error: media is audio or video
  await client.inviteCall(chats[0], { media: "hologram" });
  const joined: CallJoined = await client.acceptCall(invited.call.callId);
  const ice: RTCIceServer[] = joined.iceServers;
  const others = joined.call.peers.filter((p) => p.peerId !== joined.peerId);
  const sent = await client.signal(joined.call.callId, others[0].peerId, "offer", { sdp: "v=0" });
  const delivered: boolean = sent.delivered;
  // @ts-expect-error: not a signal kind
  await client.signal(joined.call.callId, others[0].peerId, "hello", {});
  const screen = await client.shareScreen(joined.call.callId, true);
  const left = await client.leaveCall(joined.call.callId);
  const ended: boolean = left.ended;
  const calls: HeldCall[] = client.activeCalls();
  console.log(busy, ice, delivered, screen.sharing, ended, calls.map((c) => c.peerId));
  client.on("call:ringing", (ring) => console.log(ring.from, ring.media, ring.ringUntil));
  client.on("call:signal", (signal) => console.log(signal.from, signal.kind, signal.payload));
  client.on("call:ended", (end) => console.log(end.reason, end.durationSeconds));
  client.on("client:call-rejoined", (rejoined: CallJoined) => console.log(rejoined.peerId));
  client.on("client:call-lost", ({ callId, error }) => console.log(callId, error.code));
  // @ts-expect-error: call:left carries no media
  client.on("call:left", (left) => console.log(left.media));
  client.close();
}
void main;
