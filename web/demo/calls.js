// Calls: the signalling (call:* actions through client.request, call:* events) and the
// WebRTC mesh, one RTCPeerConnection per remote peer keyed by its peerId (at most 4
// peers). The peer that joins later offers to each peer already in the call; the others
// answer. Renegotiation (screen sharing) follows the "perfect negotiation" pattern: the
// peer with the smaller peerId is polite, so two offers at once settle themselves.
// State: app.call (the call this page is in) and app.ringing (calls ringing here);
// callview.js draws them.

import { renderCall } from "./callview.js";
import { toast } from "./connection.js";
import { scheduleRender } from "./render.js";
import { app } from "./state.js";

/** A call action through the client's generic request (the typed helpers are not needed). */
const request = (action, data) => app.client.request(action, data);

const CONSTRAINTS = { audio: { audio: true, video: false }, video: { audio: true, video: { width: 640, height: 360 } } };

/** The camera and microphone for a call; less when a device is missing; null for none. */
async function localMedia(media) {
  const tries = media === "video" ? [CONSTRAINTS.video, CONSTRAINTS.audio, { video: true }] : [CONSTRAINTS.audio];
  for (const constraints of tries) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      if (constraints === tries[tries.length - 1]) toast(`No microphone or camera (${error.message}): you will only receive`);
    }
  }
  return null;
}

function newCall(fields) {
  return { callId: null, chatId: null, media: "audio", peerId: null, iceServers: [], status: "starting",
           inviter: null, connectionId: null, peers: new Map(), local: null, screen: null, muted: false,
           answeredAt: null, early: [], ...fields };
}

/** Our side of an ack of call:invite, call:accept, call:join or call:rejoin. */
function joined(call, ack) {
  call.callId = ack.call.callId;
  call.chatId = ack.call.chatId;
  call.media = ack.call.media;
  call.inviter = ack.call.inviter;
  call.peerId = ack.peerId;
  call.iceServers = ack.iceServers || [];
  call.connectionId = app.client.connectionId;
  call.answeredAt = ack.call.answeredAt ? Date.parse(ack.call.answeredAt) : null;
  call.status = ack.call.status === "ringing" ? "calling" : "active";
}

/** Events of our call that came before the ack naming it (an answer quicker than the
 *  invite's ack): held, then handled once the call has its id. */
function early(handler) {
  return (e) => {
    if (app.call && !app.call.callId) app.call.early.push(() => handler(e));
    else handler(e);
  };
}

function replayEarly(call) {
  for (const handle of call.early.splice(0)) handle();
}

function peerOf(peerId, userId, screen = false) {
  const call = app.call;
  let peer = call.peers.get(peerId);
  if (!peer) {
    peer = { peerId, userId, screen, pc: null, polite: call.peerId < peerId, makingOffer: false, ignoreOffer: false,
             tracksAdded: false, screenSender: null, candidates: [], streams: new Map(), mainStreamId: null,
             queue: Promise.resolve() };
    call.peers.set(peerId, peer);
  }
  return peer;
}

function signal(peer, kind, payload) {
  const call = app.call;
  if (!call) return Promise.resolve();
  return request("call:signal", { callId: call.callId, to: peer.peerId, kind, payload })
    .catch((error) => console.warn(`call:signal ${kind} to ${peer.userId}: ${error.message}`));
}

/** The RTCPeerConnection to `peer`. */
function connect(peer) {
  const call = app.call;
  const pc = (peer.pc = new RTCPeerConnection({ iceServers: call.iceServers }));
  pc.onicecandidate = ({ candidate }) => {
    if (candidate) signal(peer, "candidate", candidate.toJSON());
  };
  pc.onnegotiationneeded = async () => {
    try {
      peer.makingOffer = true;
      await pc.setLocalDescription();
      await signal(peer, "offer", { type: "offer", sdp: pc.localDescription.sdp });
    } catch (error) {
      console.warn(`offer to ${peer.userId}: ${error.message}`);
    } finally {
      peer.makingOffer = false;
    }
  };
  pc.ontrack = ({ track, streams }) => {
    const stream = streams[0] || new MediaStream([track]);
    // The first stream is the peer's camera and microphone; another one is a screen.
    if (!peer.mainStreamId) peer.mainStreamId = stream.id;
    if (!peer.streams.has(stream.id)) {
      peer.streams.set(stream.id, stream);
      stream.onremovetrack = () => {
        if (!stream.getTracks().length) peer.streams.delete(stream.id);
        renderCall();
      };
    }
    track.onended = renderCall;
    renderCall();
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "failed") pc.restartIce();
    renderCall();
  };
  return pc;
}

/** Our camera, microphone and screen into the connection to `peer`, once. */
function addLocalTracks(peer) {
  const call = app.call;
  if (peer.tracksAdded) return;
  peer.tracksAdded = true;
  const tracks = call.local?.getTracks() || [];
  for (const track of tracks) peer.pc.addTrack(track, call.local);
  if (!tracks.length) {
    // Nothing to send: still ask for what the others send.
    peer.pc.addTransceiver("audio", { direction: "recvonly" });
    if (call.media === "video") peer.pc.addTransceiver("video", { direction: "recvonly" });
  }
  const screen = call.screen?.getVideoTracks()[0];
  if (screen) peer.screenSender = peer.pc.addTrack(screen, call.screen);
}

/** We joined later: offer to every peer already in the call. */
function offerToPeers(peers) {
  for (const p of peers) {
    if (p.peerId === app.call.peerId) continue;
    const peer = peerOf(p.peerId, p.userId, p.screen);
    if (peer.pc) continue;
    connect(peer);
    addLocalTracks(peer); // -> negotiationneeded -> the offer
  }
}

async function onSignal({ callId, from, fromUserId, kind, payload }) {
  const call = app.call;
  if (!call || call.callId !== callId) return;
  const peer = peerOf(from, fromUserId);
  if (!peer.pc) connect(peer); // a joiner's first offer
  // One signal at a time per peer, in the order they came.
  peer.queue = peer.queue.then(() => applySignal(peer, kind, payload))
    .catch((error) => console.warn(`${kind} from ${peer.userId}: ${error.message}`));
}

async function applySignal(peer, kind, payload) {
  const pc = peer.pc;
  if (!pc || pc.signalingState === "closed") return;
  if (kind === "candidate") {
    if (!pc.remoteDescription) peer.candidates.push(payload);
    else await pc.addIceCandidate(payload).catch((error) => { if (!peer.ignoreOffer) throw error; });
    return;
  }
  const description = { type: payload.type || kind, sdp: payload.sdp };
  const collision = description.type === "offer" && (peer.makingOffer || pc.signalingState !== "stable");
  peer.ignoreOffer = !peer.polite && collision;
  if (peer.ignoreOffer) return;
  await pc.setRemoteDescription(description); // a polite peer's own offer is rolled back
  if (description.type === "offer") {
    addLocalTracks(peer); // the joiner's transceivers, reused
    await pc.setLocalDescription();
    await signal(peer, "answer", { type: "answer", sdp: pc.localDescription.sdp });
  }
  for (const candidate of peer.candidates.splice(0)) await pc.addIceCandidate(candidate).catch(() => {});
}

function dropPeer(peerId) {
  const peer = app.call?.peers.get(peerId);
  if (!peer) return;
  peer.pc?.close();
  app.call.peers.delete(peerId);
}

/** Stop a call's camera, microphone and screen. */
function release(call) {
  for (const stream of [call.local, call.screen]) stream?.getTracks().forEach((t) => t.stop());
}

/** Leave nothing running: connections, camera, microphone, screen. */
function teardown(note) {
  const call = app.call;
  if (!call) return;
  for (const peerId of [...call.peers.keys()]) dropPeer(peerId);
  release(call);
  app.call = null;
  if (note) toast(note);
  renderCall();
  scheduleRender(); // the history's "Join" buttons
}

// ------------------------------------------------------------------ what the user does

export async function startCall(chatId, media) {
  if (app.call || !chatId) return;
  const call = (app.call = newCall({ chatId, media, inviter: app.me }));
  scheduleRender();
  call.local = await localMedia(media);
  if (app.call !== call) return release(call); // hung up meanwhile
  try {
    const ack = await request("call:invite", { chatId, media });
    if (app.call !== call) {
      request("call:leave", { callId: ack.call.callId }).catch(() => {});
      return;
    }
    joined(call, ack);
    replayEarly(call);
    if (ack.call.status === "ended") teardown(`${(ack.busy || []).join(", ") || "Everybody"} busy: nobody to ring`);
    else if (ack.busy?.length) toast(`Busy: ${ack.busy.join(", ")}`);
  } catch (error) {
    if (app.call === call) teardown(`Could not call: ${error.message}`);
  }
  renderCall();
}

/** Answer a call ringing here (`call:accept`), or join one going on (`call:join`). */
export async function answerCall(callId, { join = false, media = null } = {}) {
  if (app.call) return;
  const ringing = app.ringing.get(callId);
  const call = (app.call = newCall({ callId, chatId: ringing?.chatId, media: media || ringing?.media || "audio" }));
  app.ringing.delete(callId);
  scheduleRender();
  call.local = await localMedia(call.media);
  if (app.call !== call) return release(call);
  try {
    const ack = await request(join ? "call:join" : "call:accept", { callId });
    joined(call, ack);
    offerToPeers(ack.call.peers || []);
    replayEarly(call);
  } catch (error) {
    if (app.call === call) teardown(`Could not ${join ? "join" : "answer"}: ${error.message}`);
  }
  renderCall();
}

export function declineCall(callId) {
  app.ringing.delete(callId);
  renderCall();
  request("call:decline", { callId }).catch(() => {});
}

export function hangUp() {
  const call = app.call;
  if (!call) return;
  // Before any answer, leaving cancels the call.
  if (call.callId) request("call:leave", { callId: call.callId }).catch(() => {});
  teardown();
}

export function toggleMute() {
  const call = app.call;
  if (!call) return;
  call.muted = !call.muted;
  for (const track of call.local?.getAudioTracks() || []) track.enabled = !call.muted;
  renderCall();
}

export async function toggleScreen() {
  const call = app.call;
  if (!call || call.status !== "active") return;
  if (call.screen) {
    stopScreen();
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (error) {
    toast(`Screen sharing did not start: ${error.message}`);
    return;
  }
  if (app.call !== call) {
    stream.getTracks().forEach((t) => t.stop());
    return;
  }
  call.screen = stream;
  const [track] = stream.getVideoTracks();
  track.onended = stopScreen; // stopped from the browser's own bar
  // Each connection renegotiates (negotiationneeded -> a new offer through call:signal).
  for (const peer of call.peers.values()) {
    if (peer.pc && peer.tracksAdded) peer.screenSender = peer.pc.addTrack(track, stream);
  }
  request("call:screen", { callId: call.callId, sharing: true }).catch(() => {});
  renderCall();
}

function stopScreen() {
  const call = app.call;
  if (!call?.screen) return;
  for (const peer of call.peers.values()) {
    if (peer.screenSender && peer.pc.signalingState !== "closed") peer.pc.removeTrack(peer.screenSender);
    peer.screenSender = null;
  }
  call.screen.getTracks().forEach((t) => t.stop());
  call.screen = null;
  request("call:screen", { callId: call.callId, sharing: false }).catch(() => {});
  renderCall();
}

// ------------------------------------------------------------------ what the server says

export function listenToCalls(client) {
  const mine = (e) => app.call && app.call.callId === e.callId;
  const stopRinging = (e) => {
    if (app.ringing.delete(e.callId)) renderCall();
  };

  client.on("call:ringing", (ringing) => {
    app.ringing.set(ringing.callId, ringing);
    renderCall();
  });
  // Answered on another of our devices, cancelled by the caller, or nobody answered.
  client.on("call:answered-elsewhere", stopRinging);
  client.on("call:cancelled", stopRinging);
  client.on("call:missed", stopRinging);

  client.on("call:declined", (e) => {
    if (e.userId === app.me) stopRinging(e); // declined on another of our devices
    else if (mine(e)) toast(`${e.userId} declined`);
  });

  client.on("call:joined", early((e) => {
    if (!mine(e) || e.peer.peerId === app.call.peerId) return;
    // The joiner offers: wait for its offer.
    peerOf(e.peer.peerId, e.peer.userId, e.peer.screen);
    if (app.call.status === "calling") {
      app.call.status = "active";
      app.call.answeredAt = Date.now();
    }
    renderCall();
  }));

  client.on("call:signal", early(onSignal));

  client.on("call:screen", early((e) => {
    if (!mine(e)) return;
    const peer = app.call.peers.get(e.peerId);
    if (peer) peer.screen = e.sharing;
    renderCall();
  }));

  client.on("call:left", (e) => {
    if (!mine(e)) return;
    dropPeer(e.peerId);
    renderCall();
  });

  client.on("call:ended", (e) => {
    stopRinging(e);
    if (!mine(e)) return;
    const notes = { missed: "No answer", declined: "Call declined", ended: "Call ended" };
    teardown(notes[e.reason] || "Call ended");
  });

  // A new connection (a reconnect, or a renewal before API Gateway's cut): our peer moves
  // to it, within the grace period.
  const rejoin = () => {
    const call = app.call;
    if (!call?.peerId || call.connectionId === client.connectionId) return;
    call.connectionId = client.connectionId;
    request("call:rejoin", { callId: call.callId, peerId: call.peerId })
      .catch((error) => { if (app.call === call) teardown(`Lost the call: ${error.message}`); });
  };
  client.on("connected", rejoin);
  client.on("client:renewed", rejoin);

  addEventListener("pagehide", hangUp);
}
