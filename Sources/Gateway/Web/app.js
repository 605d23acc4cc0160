// The web client: plain JavaScript, no build step, served by the gateway at /app.js.
//
// The page keeps what it knows in memory (conversations, messages, receipt cursors) and
// renders from it. The server is the source of truth: the WebSocket re-sends everything this
// device has not acknowledged, so the page may reload or lose the network at any moment and
// catch up by reconnecting. The protocol is docs/protocol.md.
//
// All user content goes into the DOM as text nodes or attributes, never as HTML.
'use strict';

(() => {
  // MARK: - Small helpers

  const $ = (id) => document.getElementById(id);

  /** Builds an element. Children that are strings become text nodes (so they are escaped). */
  function h(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value == null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (/^(data-|aria-)|^(role|title|href|target|download|alt)$/.test(key)) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children.flat()) if (child != null && child !== false) node.append(child);
    return node;
  }

  /** A client message id. randomUUID exists only in secure contexts (https, localhost). */
  function newId() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const DAY = 86400000;
  const startOfDay = (ts) => new Date(ts).setHours(0, 0, 0, 0);
  const clock = (ts) => new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  /** "Today", "Yesterday", a weekday within the week, else a date. */
  function dayLabel(ts) {
    const days = Math.round((startOfDay(Date.now()) - startOfDay(ts)) / DAY);
    if (days === 0) return 'Today';
    if (days === 1) return 'Yesterday';
    if (days < 7) return new Date(ts).toLocaleDateString([], { weekday: 'long' });
    return new Date(ts).toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' });
  }

  /** The time shown in the conversation list: a clock today, a day label before. */
  function listTime(ts) {
    if (!ts) return '';
    return startOfDay(ts) === startOfDay(Date.now()) ? clock(ts) : dayLabel(ts);
  }

  function lastSeenText(profile) {
    if (!profile) return '';
    if (profile.online) return 'online';
    if (!profile.last_seen) return '';
    const day = dayLabel(profile.last_seen);
    return `last seen ${/^\d/.test(day) ? 'on ' + day : day.toLowerCase()} at ${clock(profile.last_seen)}`;
  }

  /** A stable hue for a name or id, so a person keeps one colour everywhere. */
  function hue(key) {
    let hash = 0;
    for (const ch of key || '') hash = (hash * 31 + ch.charCodeAt(0)) | 0;
    return Math.abs(hash) % 360;
  }

  /** Two letters and a stable colour for an avatar. */
  function paintAvatar(node, name, key) {
    const words = (name || '').match(/[\p{L}\p{N}]+/gu) || ['?'];
    node.textContent = ([...words[0]][0] + (words.length > 1 ? [...words[1]][0] : '')).toUpperCase();
    node.style.backgroundColor = `hsl(${hue(key || name)} 45% 52%)`;
  }

  let toastTimer = null;
  function toast(text) {
    const node = $('toast');
    node.textContent = text;
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, 4000);
  }

  // MARK: - State

  const SESSION_KEY = 'chat.session';
  const CACHE_KEY = 'chat.cache';
  const PAGE = 50;

  const state = {
    session: null,             // {token, user_id, username, device}
    convs: new Map(),          // conv id → {conv, kind, peer, group_id, name, last_seq, last_ts, unread, last}
    messages: new Map(),       // conv id → Map(msg_id → message)
    pending: new Map(),        // client id → {id, to, peer, conv, body, media, ts, failed, localUrl}
    receipts: {},              // conv id → {delivered: {user: seq}, read: {user: seq}}
    members: {},               // group id → [user ids] this client knows are members
    history: new Map(),        // conv id → {oldest, complete, loading}
    readSent: new Map(),       // conv id → highest seq this client sent `read` for
    typing: new Map(),         // conv id → {from, until}
    open: null,                // the open conversation: a conv id, or "draft:<user id>"
  };

  /** Receipt cursors and known group members survive a reload of this tab (the server
   *  delivers each receipt once, and has no endpoint for them). */
  function saveCache() {
    const pending = [...state.pending.values()].map(({ localUrl, ...rest }) => rest);
    sessionStorage.setItem(CACHE_KEY, JSON.stringify({ receipts: state.receipts, members: state.members, pending }));
  }

  function loadCache() {
    try {
      const cache = JSON.parse(sessionStorage.getItem(CACHE_KEY)) || {};
      state.receipts = cache.receipts || {};
      state.members = cache.members || {};
      // An upload cut short by the reload cannot be finished: its bytes are gone.
      for (const p of cache.pending || []) if (!p.uploading) state.pending.set(p.id, p);
    } catch { /* a corrupt cache is only a cache */ }
  }

  const me = () => state.session && state.session.user_id;
  const messagesOf = (conv) => {
    if (!state.messages.has(conv)) state.messages.set(conv, new Map());
    return state.messages.get(conv);
  };
  const isDraft = (key) => typeof key === 'string' && key.startsWith('draft:');
  const pageVisible = () => document.visibilityState === 'visible';

  // MARK: - HTTP

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  /** One request to the gateway; JSON in and out unless `raw` bytes are given. */
  async function api(method, path, body, { raw, contentType } = {}) {
    const headers = {};
    if (state.session) headers.Authorization = `Bearer ${state.session.token}`;
    let payload;
    if (raw !== undefined) {
      payload = raw;
      headers['Content-Type'] = contentType || 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body: payload });
    } catch {
      throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection.');
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
    if (!response.ok) {
      const error = (data && data.error) || {};
      if (response.status === 401 && state.session) signOut('Your session has expired. Please log in again.');
      throw new ApiError(response.status, error.code || `http_${response.status}`, error.message || response.statusText);
    }
    return data;
  }

  // MARK: - Users

  const profiles = new Map();   // user id → profile
  const lookups = new Map();    // user id or username → Promise<profile>

  /** A user's profile, fetched once unless `fresh` (presence changes over time). */
  function fetchUser(ref, fresh = false) {
    if (fresh || !lookups.has(ref)) {
      const lookup = api('GET', `/v1/users/${encodeURIComponent(ref)}`).then((profile) => {
        profiles.set(profile.user_id, { ...profiles.get(profile.user_id), ...profile });
        lookups.set(profile.user_id, lookup);
        scheduleRender();
        return profile;
      });
      lookup.catch(() => lookups.delete(ref));
      lookups.set(ref, lookup);
    }
    return lookups.get(ref);
  }

  /** A name to show now; fetches the profile (and re-renders) when it is not known yet. */
  function nameOf(userId) {
    if (userId === me()) return 'You';
    const profile = profiles.get(userId);   // a presence frame may have made a partial one
    if (profile && (profile.display_name || profile.username)) return profile.display_name || profile.username;
    fetchUser(userId).catch(() => {});
    return '…';
  }

  // MARK: - Conversations

  function convTitle(conv) {
    if (!conv) return '';
    if (conv.kind === 'group') return conv.name || 'Group';
    return conv.peer ? nameOf(conv.peer) : '…';
  }

  /** The entry for a conversation, created from a delivery if this client has not seen it. */
  function ensureConv(id, hint = {}) {
    let conv = state.convs.get(id);
    if (!conv) {
      const group = hint.group_id || (hint.kind === 'group' ? id : null);
      conv = {
        conv: id, kind: group ? 'group' : 'direct', group_id: group, name: hint.name || null,
        peer: group ? null : hint.peer || null, last_seq: 0, last_ts: 0, unread: 0, last: null,
      };
      state.convs.set(id, conv);
      // A conversation met in a delivery lacks its name or peer: the list has them.
      if ((group && !conv.name) || (!group && !conv.peer)) refreshConversations();
    }
    return conv;
  }

  let refreshing = null;
  /** Merges the server's conversation list (unread counts, order, new groups). */
  function refreshConversations() {
    if (refreshing || !state.session) return refreshing;
    refreshing = api('GET', '/v1/conversations').then((list) => {
      for (const entry of list) {
        const conv = ensureConv(entry.conv, entry);
        // Deliveries may be ahead of the server's read model, whose counts then lag.
        const localAhead = conv.last_seq > entry.last_seq;
        Object.assign(conv, {
          kind: entry.kind, peer: entry.peer || conv.peer, group_id: entry.group_id || null,
          name: entry.name || conv.name, last_seq: Math.max(conv.last_seq, entry.last_seq),
          last_ts: Math.max(conv.last_ts, entry.last_ts || 0),
        });
        // The server applies our `read` asynchronously; do not let its count undo it.
        if ((state.readSent.get(conv.conv) || 0) >= entry.last_seq) conv.unread = 0;
        else if (!localAhead) conv.unread = entry.unread;
        if (conv.peer) fetchUser(conv.peer).catch(() => {});
        if (!conv.last && conv.last_seq > 0) loadPreview(conv);
      }
      scheduleRender();
    }).catch((error) => {
      if (error.code !== 'unauthorized') console.warn('conversations', error);
    }).finally(() => { refreshing = null; });
    return refreshing;
  }

  /** A page of a conversation's history, newest first (before `before`, a seq, if given). */
  function fetchPage(convId, limit, before) {
    const query = before === undefined ? `limit=${limit}` : `before=${before}&limit=${limit}`;
    return api('GET', `/v1/conversations/${encodeURIComponent(convId)}/messages?${query}`);
  }

  /** The last message of a conversation, for its line in the list. */
  function loadPreview(conv) {
    conv.last = conv.last || { loading: true };
    fetchPage(conv.conv, 1)
      .then(({ messages }) => messages.forEach(storeMessage))
      .catch(() => { conv.last = null; })
      .finally(scheduleRender);
  }

  /** Adds a message (from history or a delivery); false if it was already known. */
  function storeMessage(m) {
    const list = messagesOf(m.conv);
    if (list.has(m.msg_id)) return false;
    const message = {
      msg_id: m.msg_id, conv: m.conv, seq: m.seq, from: m.from, body: m.body || '',
      media: m.media || [], ts: m.ts,
    };
    list.set(m.msg_id, message);
    const conv = ensureConv(m.conv, m.group_id ? { group_id: m.group_id } : { peer: m.from !== me() ? m.from : null });
    if (conv.kind === 'group') rememberMembers(conv.conv, [m.from]);
    if (!conv.last || conv.last.loading || m.seq >= (conv.last.seq || 0)) {
      conv.last = message;
      conv.last_seq = Math.max(conv.last_seq, m.seq);
      conv.last_ts = Math.max(conv.last_ts, m.ts);
    }
    return true;
  }

  function receiveMessage(frame) {
    const known = state.convs.get(frame.conv);
    const lastSeq = known ? known.last_seq : 0;   // the server's unread count covers up to here
    if (!storeMessage(frame)) return;   // a re-delivery after a reconnect: already shown
    const conv = state.convs.get(frame.conv);
    const typing = state.typing.get(frame.conv);
    if (typing && typing.from === frame.from) state.typing.delete(frame.conv);
    if (frame.from !== me() && frame.seq > lastSeq && !(state.open === frame.conv && pageVisible())) conv.unread += 1;
    scheduleRender();
    if (state.open === frame.conv) markRead(frame.conv);
  }

  function rememberMembers(group, users) {
    const known = new Set(state.members[group] || []);
    const before = known.size;
    users.forEach((u) => known.add(u));
    if (known.size !== before) {
      state.members[group] = [...known];
      saveCache();
    }
  }

  /** The server's view of a group: every member (not only those this tab has seen) and each
   *  one's receipt cursors, so that ticks are right on a new device or after a reload. */
  async function loadGroup(conv) {
    if (!conv || conv.kind !== 'group' || !conv.group_id) return;
    const group = await api('GET', `/v1/groups/${encodeURIComponent(conv.group_id)}`);
    // The server's list replaces what this tab pieced together: members who left are gone.
    state.members[conv.conv] = group.members.map((m) => m.user_id);
    const cursors = receiptsOf(conv.conv);
    for (const m of group.members) {
      cursors.delivered[m.user_id] = Math.max(cursors.delivered[m.user_id] || 0, m.delivered, m.read);
      cursors.read[m.user_id] = Math.max(cursors.read[m.user_id] || 0, m.read);
    }
    saveCache();
    scheduleRender();
  }

  function forgetMember(group, user) {
    state.members[group] = (state.members[group] || []).filter((u) => u !== user);
    saveCache();
  }

  // MARK: - History

  /** The newest page of a conversation, merged with what deliveries already brought. */
  async function loadLatest(convId) {
    const history = state.history.get(convId) || { oldest: Infinity, complete: false, loading: false };
    state.history.set(convId, history);
    const { messages } = await fetchPage(convId, PAGE);
    messages.forEach(storeMessage);
    noteOldest(convId, history, messages);
    scheduleRender({ scrollToEnd: true });
    markRead(convId);
  }

  /** The page before the oldest loaded message: called when the user scrolls to the top. */
  async function loadOlder(convId) {
    const history = state.history.get(convId);
    if (!history || history.loading || history.complete || history.oldest === Infinity) return;
    history.loading = true;
    renderHistoryStatus();
    const box = $('messages');
    const fromBottom = box.scrollHeight - box.scrollTop;
    try {
      const { messages } = await fetchPage(convId, PAGE, history.oldest);
      messages.forEach(storeMessage);
      noteOldest(convId, history, messages);
    } catch (error) {
      toast(`Could not load older messages: ${error.message}`);
    } finally {
      history.loading = false;
    }
    if (state.open !== convId) return;
    renderNow();
    box.scrollTop = box.scrollHeight - fromBottom;   // keep the message the user was reading in place
    if (box.scrollHeight <= box.clientHeight) loadOlder(convId);
  }

  /** Deliveries bring every message from some seq on, and history pages are contiguous, so
   *  the next page to ask for is the one before the oldest message known by either. */
  function noteOldest(convId, history, page) {
    for (const m of messagesOf(convId).values()) history.oldest = Math.min(history.oldest, m.seq);
    // seqs are dense from 1, so the first message is known when seq 1 is.
    if (page.length < PAGE || history.oldest <= 1) history.complete = true;
  }

  // MARK: - Receipts and read state

  function receiptsOf(conv) {
    return state.receipts[conv] || (state.receipts[conv] = { delivered: {}, read: {} });
  }

  /** The other members whose cursors decide a tick: the peer, or the group's known members. */
  function recipients(conv) {
    if (!conv) return [];
    if (conv.kind === 'direct') return conv.peer ? [conv.peer] : [];
    return (state.members[conv.conv] || []).filter((u) => u !== me());
  }

  /** pending, failed, sent, delivered or read, for a message of this user; null for others'. */
  function statusOf(message) {
    if (message.pendingId) return state.pending.get(message.pendingId)?.failed ? 'failed' : 'pending';
    if (message.from !== me()) return null;
    const conv = state.convs.get(message.conv);
    const others = recipients(conv);
    if (others.length === 0) return 'sent';
    const cursors = receiptsOf(message.conv);
    if (others.every((u) => (cursors.read[u] || 0) >= message.seq)) return 'read';
    if (others.every((u) => (cursors.delivered[u] || 0) >= message.seq)) return 'delivered';
    return 'sent';
  }

  function applyReceipt(receipt) {
    const cursors = receiptsOf(receipt.conv);
    const advance = (kind) => { cursors[kind][receipt.by] = Math.max(cursors[kind][receipt.by] || 0, receipt.up_to); };
    advance('delivered');                          // reading implies delivered
    if (receipt.status === 'read') advance('read');
    const conv = state.convs.get(receipt.conv);
    if (conv && conv.kind === 'group') rememberMembers(conv.conv, [receipt.by]);
    saveCache();
    scheduleRender();
  }

  /** Tells the server the open conversation is read, when the user can actually see it. */
  function markRead(convId) {
    if (state.open !== convId || !pageVisible()) return;
    const conv = state.convs.get(convId);
    if (!conv) return;
    conv.unread = 0;
    let highest = 0;
    for (const m of messagesOf(convId).values()) highest = Math.max(highest, m.seq);
    if (highest > (state.readSent.get(convId) || 0) && sendFrame({ type: 'read', conv: convId, up_to: highest })) {
      state.readSent.set(convId, highest);
    }
    scheduleRender();
  }

  // MARK: - WebSocket

  const socket = {
    ws: null,
    node: null,          // the node named by a `wrong_node` error; null: this page's origin
    attempts: 0,         // failed connects in a row, for the backoff
    admitted: false,     // the server answered our first ping: the session is up
    redirects: 0,
    retryTimer: null,
    heartbeat: null,
    lastFrameAt: 0,      // when the server last said anything
    lastSentAt: 0,       // when we last did (the server closes sessions silent for 60 s)
    highestDseq: -1,     // the highest delivery seen on this connection
    ackedDseq: -1,
    ackTimer: null,
  };
  const PING_EVERY = 20000;
  const DEAD_AFTER = 45000;    // no frame (not even a pong) for this long: the network is gone

  function connect() {
    clearTimeout(socket.retryTimer);
    if (!state.session || socket.ws) return;
    const base = (socket.node || location.origin).replace(/^http/, 'ws').replace(/\/$/, '');
    const ws = new WebSocket(`${base}/v1/ws?token=${encodeURIComponent(state.session.token)}`);
    socket.ws = ws;
    socket.admitted = false;
    socket.highestDseq = -1;
    socket.ackedDseq = -1;
    setConnection('connecting');
    ws.onopen = () => {
      if (ws !== socket.ws) return;
      socket.lastFrameAt = Date.now();
      sendFrame({ type: 'ping' });   // its pong proves the session was admitted
      socket.heartbeat = setInterval(heartbeat, PING_EVERY / 4);
    };
    ws.onmessage = (event) => {
      if (ws !== socket.ws) return;
      socket.lastFrameAt = Date.now();
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      handleFrame(frame);
    };
    ws.onclose = () => {
      if (ws === socket.ws) dropSocket();
    };
  }

  /** Forgets the connection and, while signed in, schedules the next one. */
  function dropSocket({ immediately = false } = {}) {
    const ws = socket.ws;
    socket.ws = null;
    clearInterval(socket.heartbeat);
    clearTimeout(socket.ackTimer);
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try { ws.close(); } catch { /* already closed */ }
    }
    if (!state.session) return;
    if (immediately) {
      socket.retryTimer = setTimeout(connect, 50);
      return;
    }
    // Start over from this page's origin: it redirects to whichever node serves us by then.
    socket.node = null;
    // Exponential backoff with jitter, so a restarted server is not hit by every client at once.
    const delay = Math.min(15000, 500 * 2 ** socket.attempts) * (0.5 + Math.random() / 2);
    socket.attempts = Math.min(socket.attempts + 1, 10);
    setConnection(navigator.onLine === false ? 'waiting' : 'offline', delay);
    socket.retryTimer = setTimeout(connect, delay);
  }

  function heartbeat() {
    if (!socket.ws || socket.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - socket.lastFrameAt > DEAD_AFTER) {
      dropSocket();
      return;
    }
    const now = Date.now();
    if (now - socket.lastFrameAt > PING_EVERY || now - socket.lastSentAt > PING_EVERY) sendFrame({ type: 'ping' });
  }

  function sendFrame(frame) {
    if (!socket.ws || socket.ws.readyState !== WebSocket.OPEN) return false;
    socket.ws.send(JSON.stringify(frame));
    socket.lastSentAt = Date.now();
    return true;
  }

  /** Acknowledges deliveries in batches: one ack covers everything up to its dseq. */
  function noteDelivery(dseq) {
    if (typeof dseq !== 'number' || dseq <= socket.highestDseq) return;
    socket.highestDseq = dseq;
    clearTimeout(socket.ackTimer);
    socket.ackTimer = setTimeout(() => {
      if (socket.highestDseq > socket.ackedDseq && sendFrame({ type: 'ack', up_to: socket.highestDseq })) {
        socket.ackedDseq = socket.highestDseq;
      }
    }, 100);
  }

  /** The session is up: reset the backoff and do what waited for a connection. */
  function connected() {
    socket.admitted = true;
    socket.attempts = 0;
    socket.redirects = 0;
    setConnection('online');
    refreshConversations();
    for (const pending of state.pending.values()) if (!pending.failed && !pending.uploading) transmit(pending);
    if (state.open && !isDraft(state.open)) markRead(state.open);
  }

  function handleFrame(frame) {
    switch (frame.type) {
      case 'pong':
        if (!socket.admitted) connected();
        break;
      case 'message':
        receiveMessage(frame);
        break;
      case 'sent':
        confirmSent(frame);
        break;
      case 'receipt':
        applyReceipt(frame);
        break;
      case 'presence':
        profiles.set(frame.user, { ...profiles.get(frame.user), online: frame.online, last_seen: frame.last_seen });
        scheduleRender();
        break;
      case 'typing':
        if (frame.from !== me()) {
          state.typing.set(frame.conv, { from: frame.from, until: Date.now() + 4000 });
          setTimeout(scheduleRender, 4100);
          scheduleRender();
        }
        break;
      case 'error':
        handleSocketError(frame);
        break;
      default:
        break;   // a newer server's extension: ignore it
    }
    noteDelivery(frame.dseq);
  }

  function handleSocketError(frame) {
    switch (frame.code) {
      case 'wrong_node':
        // Another gateway serves this user's devices: go there (HTTP stays on this origin).
        if (frame.node && socket.redirects < 3) {
          socket.redirects += 1;
          socket.node = frame.node;
          dropSocket({ immediately: true });
        } else {
          socket.node = null;
          dropSocket();
        }
        break;
      case 'reconnect':
        socket.node = null;   // this page's origin knows who serves the user now
        dropSocket({ immediately: true });
        break;
      case 'unauthorized':
        signOut('Your session has expired. Please log in again.');
        break;
      default:
        if (frame.ref && state.pending.has(frame.ref)) sendFailed(frame);
        else if (frame.code !== 'timeout') console.warn('server error', frame);
    }
  }

  const CONNECTION_TEXT = {
    connecting: 'connecting…', online: 'online', offline: 'reconnecting…', waiting: 'waiting for network…',
  };

  function setConnection(status, delay) {
    const node = $('connection-status');
    node.dataset.state = status;
    node.textContent = status === 'offline' && delay > 2000
      ? `offline, retrying in ${Math.round(delay / 1000)} s` : CONNECTION_TEXT[status];
    document.body.dataset.connection = status;
    $('offline-banner').textContent = status === 'online' ? '' : `Not connected: ${node.textContent}`;
  }

  // MARK: - Sending

  /** Queues a message; it is transmitted now and again after every reconnect until `sent`. */
  function queueMessage({ body, media = [], localUrl = null, uploading = false }) {
    const key = state.open;
    const conv = isDraft(key) ? null : state.convs.get(key);
    const peer = isDraft(key) ? key.slice(6) : conv && conv.peer;
    const to = conv && conv.kind === 'group' ? { group: conv.group_id || conv.conv } : { user: peer };
    const pending = {
      id: newId(), to, peer, conv: conv ? conv.conv : null, body, media, ts: Date.now(), localUrl, uploading,
    };
    state.pending.set(pending.id, pending);
    saveCache();
    if (!uploading) transmit(pending);
    scheduleRender({ scrollToEnd: true });
    return pending;
  }

  function transmit(pending) {
    const frame = { type: 'send', id: pending.id, to: pending.to };
    if (pending.body) frame.body = pending.body;
    if (pending.media.length) frame.media = pending.media;
    sendFrame(frame);   // when offline, connected() sends it again
  }

  /** The server stored our message: it becomes a real one, with its seq. */
  function confirmSent(sent) {
    const pending = state.pending.get(sent.ref);
    if (!pending) {
      // Sent by an earlier page of this tab: only history knows its body.
      if (!messagesOf(sent.conv).has(sent.msg_id) && state.history.has(sent.conv)) loadLatest(sent.conv).catch(() => {});
      return;
    }
    state.pending.delete(sent.ref);
    saveCache();
    const conv = ensureConv(sent.conv, pending.to.group ? { group_id: pending.to.group } : { peer: pending.peer });
    if (!state.history.has(sent.conv)) state.history.set(sent.conv, { oldest: Infinity, complete: false, loading: false });
    storeMessage({ ...sent, from: me(), body: pending.body, media: pending.media });
    if (pending.localUrl) pending.media.forEach((id) => mediaUrls.set(id, Promise.resolve(pending.localUrl)));
    adoptNode(pending.id, sent.msg_id);
    // A new direct chat has its conversation id now.
    if (state.open === `draft:${pending.peer}`) state.open = conv.conv;
    if (state.history.get(sent.conv).oldest === Infinity) loadLatest(sent.conv).catch(() => {});
    scheduleRender();
  }

  const FAILURES = {
    unknown_user: 'That user does not exist.', unknown_media: 'The picture was not uploaded.',
    forbidden: 'You are not a member of this group.', not_found: 'This group does not exist.',
    too_large: 'The message is too long.',
  };

  function sendFailed(error) {
    const pending = state.pending.get(error.ref);
    if (error.code === 'unavailable' || error.code === 'rate_limited') {
      setTimeout(() => transmit(pending), 2000);   // the same id: the server appends it once
      return;
    }
    pending.failed = FAILURES[error.code] || error.message || 'Not sent.';
    saveCache();
    toast(`Message not sent: ${pending.failed}`);
    scheduleRender();
  }

  /** Uploads a picture, then sends a message naming it. */
  async function sendPicture(file) {
    if (!file.type.startsWith('image/')) {
      toast('Only pictures can be sent.');
      return;
    }
    const localUrl = URL.createObjectURL(file);
    const pending = queueMessage({ localUrl, uploading: true });
    try {
      const uploaded = await api('POST', '/v1/media', undefined, { raw: file, contentType: file.type });
      pending.media = [uploaded.media_id];
      pending.uploading = false;
      saveCache();
      transmit(pending);
    } catch (error) {
      state.pending.delete(pending.id);
      saveCache();
      URL.revokeObjectURL(localUrl);
      toast(error.code === 'too_large' ? 'That picture is too large.' : `Upload failed: ${error.message}`);
    }
    scheduleRender();
  }

  let lastTypingAt = 0;
  /** Tells the others we type, at most every 2.5 s (they show it for 4 s). */
  function typed() {
    const key = state.open;
    if (!key || isDraft(key) || Date.now() - lastTypingAt < 2500) return;
    if (sendFrame({ type: 'typing', conv: key })) lastTypingAt = Date.now();
  }

  // MARK: - Media

  const mediaUrls = new Map();   // media id → Promise<object URL>

  /** <img> cannot send the bearer token, so pictures are fetched and shown as object URLs. */
  function mediaUrl(id) {
    if (!mediaUrls.has(id)) {
      const load = fetch(`/v1/media/${encodeURIComponent(id)}`, {
        headers: { Authorization: `Bearer ${state.session.token}` },
      }).then((response) => {
        if (!response.ok) throw new Error(`media ${response.status}`);
        return response.blob();
      }).then((blob) => URL.createObjectURL(blob));
      load.catch(() => mediaUrls.delete(id));   // allow a later retry
      mediaUrls.set(id, load);
    }
    return mediaUrls.get(id);
  }

  function mediaNode(id, localUrl) {
    const img = h('img', { class: 'photo loading', alt: 'Picture', 'data-testid': 'message-image', 'data-media-id': id || '' });
    const link = h('a', { class: 'photo-link', target: '_blank', title: 'Open the picture' }, img);
    const show = (url) => {
      img.onload = () => {
        img.classList.remove('loading');
        if (nearBottom) $('messages').scrollTop = $('messages').scrollHeight;
      };
      img.src = url;
      link.href = url;
    };
    if (localUrl) show(localUrl);
    else mediaUrl(id).then(show, () => {
      img.replaceWith(h('span', { class: 'photo-missing', text: 'Picture unavailable' }));
    });
    return link;
  }

  // MARK: - Rendering

  let renderQueued = false;
  let scrollToEnd = false;
  let nearBottom = true;

  /** Renders soon, once for any number of changes in between. */
  function scheduleRender(options = {}) {
    if (options.scrollToEnd) scrollToEnd = true;
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(renderNow, 0);
  }

  function renderNow() {
    renderQueued = false;
    if (!state.session) return;
    renderList();
    renderConversation();
    const unread = [...state.convs.values()].reduce((sum, c) => sum + (c.unread || 0), 0);
    document.title = unread ? `(${unread}) Chat` : 'Chat';
  }

  function typingIn(convId) {
    const typing = state.typing.get(convId);
    return typing && typing.until > Date.now() ? typing : null;
  }

  const listItems = new Map();   // conv id → <li>

  function renderList() {
    const list = $('conv-list');
    const convs = [...state.convs.values()].sort((a, b) => (b.last_ts - a.last_ts) || a.conv.localeCompare(b.conv));
    $('conv-empty').hidden = convs.length > 0;
    let cursor = list.firstChild;
    for (const conv of convs) {
      let item = listItems.get(conv.conv);
      if (!item) {
        item = convItem(conv.conv);
        listItems.set(conv.conv, item);
      }
      fillConvItem(item, conv);
      if (item !== cursor) list.insertBefore(item, cursor);
      else cursor = cursor.nextSibling;
    }
    for (const [id, item] of listItems) {
      if (!state.convs.has(id)) {
        item.remove();
        listItems.delete(id);
      }
    }
  }

  function convItem(id) {
    const parts = {
      avatar: h('div', { class: 'avatar', 'aria-hidden': 'true' }),
      name: h('span', { class: 'conv-name', 'data-testid': 'conv-name' }),
      time: h('span', { class: 'conv-time' }),
      preview: h('span', { class: 'conv-preview', 'data-testid': 'conv-preview' }),
      unread: h('span', { class: 'unread', 'data-testid': 'unread' }),
    };
    const button = h('button', { type: 'button', class: 'conv-button' },
      parts.avatar,
      h('div', { class: 'conv-text' },
        h('div', { class: 'conv-line' }, parts.name, parts.time),
        h('div', { class: 'conv-line' }, parts.preview, parts.unread)));
    button.addEventListener('click', () => openConversation(id));
    const item = h('li', { class: 'conv-item', 'data-testid': 'conv-item', 'data-conv': id }, button);
    item.parts = parts;
    return item;
  }

  function fillConvItem(item, conv) {
    const { parts } = item;
    const title = convTitle(conv);
    parts.name.textContent = title;
    paintAvatar(parts.avatar, title, conv.peer || conv.conv);
    parts.avatar.classList.toggle('group', conv.kind === 'group');
    parts.time.textContent = listTime(conv.last_ts);
    parts.unread.textContent = conv.unread > 0 ? String(conv.unread) : '';
    parts.unread.hidden = !(conv.unread > 0);
    item.classList.toggle('has-unread', conv.unread > 0);
    item.classList.toggle('active', state.open === conv.conv);
    item.dataset.peer = conv.peer || '';
    const typing = typingIn(conv.conv);
    parts.preview.classList.toggle('typing', !!typing);
    parts.preview.replaceChildren();
    if (typing) {
      parts.preview.append(conv.kind === 'group' ? `${nameOf(typing.from)} is typing…` : 'typing…');
    } else if (conv.last && !conv.last.loading) {
      const status = statusOf(conv.last);
      if (status) parts.preview.append(ticks(status));
      else if (conv.kind === 'group') parts.preview.append(`${nameOf(conv.last.from)}: `);
      parts.preview.append(conv.last.body || (conv.last.media.length ? 'Photo' : ''));
    } else if (conv.kind === 'group' && !conv.last_seq) {
      parts.preview.append('New group');
    }
  }

  function ticks(status) {
    const text = { pending: '◷', failed: '!', sent: '✓', delivered: '✓✓', read: '✓✓' }[status];
    const label = { pending: 'sending', failed: 'not sent', sent: 'sent', delivered: 'delivered', read: 'read' }[status];
    return h('span', { class: `ticks ${status}`, 'data-testid': 'ticks', 'data-status': status, title: label, 'aria-label': label }, text);
  }

  let renderedOpen = null;

  function renderConversation() {
    const key = state.open;
    const shell = $('chat-screen');
    shell.classList.toggle('conv-open', !!key);
    $('conv-placeholder').hidden = !!key;
    $('conv-header').hidden = !key;
    $('messages').hidden = !key;
    $('composer').hidden = !key;
    if (!key) {
      $('group-panel').hidden = true;
      renderedOpen = null;
      return;
    }
    const conv = isDraft(key) ? null : state.convs.get(key);
    const peer = isDraft(key) ? key.slice(6) : conv && conv.peer;
    const title = conv ? convTitle(conv) : nameOf(peer);
    $('conv-title').textContent = title;
    $('conv-view').dataset.conv = conv ? conv.conv : '';
    paintAvatar($('conv-avatar'), title, peer || key);
    $('conv-avatar').classList.toggle('group', !!conv && conv.kind === 'group');
    $('group-info-button').hidden = !conv || conv.kind !== 'group';
    renderStatusLine(conv, peer);
    if (!$('group-panel').hidden && conv) renderGroupPanel(conv);
    if (renderedOpen !== key) {
      clearMessages();
      renderedOpen = key;
      scrollToEnd = true;
    }
    renderMessages(key, conv);
  }

  function renderStatusLine(conv, peer) {
    const status = $('conv-status');
    const typing = conv && typingIn(conv.conv);
    status.classList.toggle('typing', !!typing);
    if (typing) status.textContent = `${nameOf(typing.from)} is typing…`;
    else if (!conv || conv.kind === 'direct') status.textContent = lastSeenText(profiles.get(peer));
    else status.textContent = [...recipients(conv).map(nameOf), 'You'].join(', ');
  }

  const messageNodes = new Map();   // message key (msg_id, or "pending:<client id>") → element

  /** A message just sent keeps its element (and picture) under its new key. */
  function adoptNode(pendingId, msgId) {
    const node = messageNodes.get(`pending:${pendingId}`);
    if (!node) return;
    messageNodes.delete(`pending:${pendingId}`);
    if (messageNodes.has(msgId)) node.remove();   // history brought it first
    else messageNodes.set(msgId, node);
  }

  function clearMessages() {
    messageNodes.clear();
    const box = $('messages');
    box.replaceChildren($('history-status'));
  }

  /** The open conversation's messages and pending sends, in order, with day separators. */
  function timeline(key, conv) {
    const rows = conv ? [...messagesOf(conv.conv).values()].sort((a, b) => a.seq - b.seq) : [];
    for (const p of state.pending.values()) {
      if ((conv && p.conv === conv.conv) || (!p.conv && p.peer && (key === `draft:${p.peer}` || (conv && conv.peer === p.peer)))) {
        rows.push({ pendingId: p.id, from: me(), body: p.body, media: p.media, localUrl: p.localUrl, ts: p.ts });
      }
    }
    const out = [];
    let day = null;
    for (const row of rows) {
      const rowDay = startOfDay(row.ts);
      if (rowDay !== day) {
        day = rowDay;
        out.push({ separator: true, key: `day:${rowDay}`, ts: row.ts });
      }
      out.push({ ...row, key: row.pendingId ? `pending:${row.pendingId}` : row.msg_id });
    }
    return out;
  }

  function renderMessages(key, conv) {
    const box = $('messages');
    nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const rows = timeline(key, conv);
    const wanted = new Set();
    let previous = null;
    let cursor = $('history-status').nextSibling;
    for (const row of rows) {
      let node = messageNodes.get(row.key);
      if (!node) {
        node = row.separator ? h('div', { class: 'day-separator' }, h('span', { text: dayLabel(row.ts) })) : messageNode(row, conv);
        messageNodes.set(row.key, node);
      }
      if (!row.separator) {
        updateMessageNode(node, row);
        // The first of a run of messages from one sender gets the bubble's tail.
        node.classList.toggle('first', !previous || previous.separator || previous.from !== row.from);
      }
      previous = row;
      wanted.add(row.key);
      if (node !== cursor) box.insertBefore(node, cursor);
      else cursor = cursor.nextSibling;
    }
    for (const [k, node] of messageNodes) {
      if (!wanted.has(k)) {
        node.remove();
        messageNodes.delete(k);
      }
    }
    renderHistoryStatus();
    if (scrollToEnd || nearBottom) box.scrollTop = box.scrollHeight;
    scrollToEnd = false;
  }

  function messageNode(row, conv) {
    const mine = row.from === me();
    const bubble = h('div', { class: 'bubble' });
    let sender = null;
    if (!mine && conv && conv.kind === 'group') {
      sender = h('div', { class: 'sender', 'data-from': row.from });
      sender.style.color = `hsl(${hue(row.from)} 55% 38%)`;
      bubble.append(sender);
    }
    for (const id of row.media) bubble.append(mediaNode(id, row.localUrl));
    if (row.localUrl && row.media.length === 0) bubble.append(mediaNode(null, row.localUrl));
    if (row.body) bubble.append(h('div', { class: 'text', 'data-testid': 'message-text' }, row.body));
    const meta = h('span', { class: 'meta' }, h('span', { class: 'time', text: clock(row.ts) }));
    bubble.append(meta);
    const node = h('div', {
      class: `message ${mine ? 'out' : 'in'}${row.media.length || row.localUrl ? ' has-photo' : ''}`,
      'data-testid': 'message', 'data-from': mine ? 'me' : 'them',
    }, bubble);
    node.meta = meta;
    node.sender = sender;
    return node;
  }

  /** What changes on a message after it is drawn: its seq, ticks and failure. */
  function updateMessageNode(node, row) {
    node.dataset.seq = row.seq || '';
    node.dataset.msgId = row.msg_id || '';
    const status = statusOf(row);
    node.dataset.status = status || '';
    if (node.sender) node.sender.textContent = nameOf(node.sender.dataset.from);   // names arrive later
    const shown = node.meta.querySelector('.ticks');
    if (status && (!shown || shown.dataset.status !== status)) {
      const fresh = ticks(status);
      if (shown) shown.replaceWith(fresh);
      else node.meta.append(fresh);
    }
    const pending = row.pendingId && state.pending.get(row.pendingId);
    node.classList.toggle('failed', !!(pending && pending.failed));
    node.title = pending && pending.failed ? `Not sent: ${pending.failed}` : '';
  }

  function renderHistoryStatus() {
    const history = state.history.get(state.open);
    const node = $('history-status');
    if (!history || isDraft(state.open)) node.textContent = '';
    else if (history.loading) node.textContent = 'Loading older messages…';
    else if (history.complete && messageNodes.size > 0) node.textContent = 'This is the beginning of the conversation.';
    else node.textContent = '';
  }

  // MARK: - Group panel

  function renderGroupPanel(conv) {
    const list = $('group-members');
    const members = [...new Set([me(), ...(state.members[conv.conv] || [])])];
    list.replaceChildren(...members.map((user) => h('li', { 'data-user': user },
      h('span', { class: 'member-name', text: user === me() ? 'You' : nameOf(user) }),
      user === me() ? null : h('button', {
        type: 'button', class: 'icon-button small', title: 'Remove from the group', 'aria-label': 'Remove',
        'data-testid': 'remove-member', onclick: () => removeMember(conv, user),
      }, '×'))));
  }

  async function addMember(event) {
    event.preventDefault();
    const conv = state.convs.get(state.open);
    const input = $('group-add-username');
    const error = $('group-panel').querySelector('.form-error');
    error.textContent = '';
    try {
      const profile = await fetchUser(input.value.trim().toLowerCase());
      await api('POST', `/v1/groups/${encodeURIComponent(conv.group_id)}/members`, { user: profile.user_id });
      rememberMembers(conv.conv, [profile.user_id]);
      input.value = '';
      renderGroupPanel(conv);
    } catch (e) {
      error.textContent = e.code === 'unknown_user' ? 'No user has that name.'
        : e.code === 'forbidden' ? 'Only group admins can add members.' : e.message;
    }
  }

  async function removeMember(conv, user) {
    const error = $('group-panel').querySelector('.form-error');
    error.textContent = '';
    try {
      await api('DELETE', `/v1/groups/${encodeURIComponent(conv.group_id)}/members/${encodeURIComponent(user)}`);
      forgetMember(conv.conv, user);
      if (user === me()) {
        state.convs.delete(conv.conv);
        closeConversation();
      } else {
        renderGroupPanel(conv);
      }
    } catch (e) {
      error.textContent = e.code === 'forbidden' ? 'Only group admins can remove members.' : e.message;
    }
  }

  // MARK: - Navigation

  async function openConversation(key) {
    if (state.open === key) return;
    const narrow = window.matchMedia('(max-width: 720px)').matches;
    // On a phone the list and the conversation are two screens: let "back" return to the list.
    if (narrow && !state.open) history.pushState({ conv: key }, '');
    state.open = key;
    closePanels();
    $('composer-input').value = '';
    resizeComposer();
    scheduleRender({ scrollToEnd: true });
    if (!narrow) $('composer-input').focus();
    const peer = isDraft(key) ? key.slice(6) : state.convs.get(key)?.peer;
    if (peer) fetchUser(peer, true).catch(() => {});   // fresh presence
    if (isDraft(key)) return;
    loadGroup(state.convs.get(key)).catch(() => {});
    if (!state.history.has(key)) {
      try {
        await loadLatest(key);
      } catch (error) {
        toast(`Could not load the conversation: ${error.message}`);
      }
    } else {
      markRead(key);
    }
  }

  function closeConversation() {
    state.open = null;
    closePanels();
    scheduleRender();
  }

  function closePanels() {
    for (const id of ['new-chat-form', 'new-group-form', 'group-panel']) {
      const panel = $(id);
      panel.hidden = true;
      const error = panel.querySelector('.form-error');
      if (error) error.textContent = '';
    }
  }

  function togglePanel(id) {
    const show = $(id).hidden;
    closePanels();
    $(id).hidden = !show;
    const first = $(id).querySelector('input');
    if (show && first) first.focus();
  }

  async function startChat(event) {
    event.preventDefault();
    const form = $('new-chat-form');
    const username = $('new-chat-username').value.trim().toLowerCase();
    const error = form.querySelector('.form-error');
    error.textContent = '';
    if (!username) return;
    try {
      const profile = await fetchUser(username, true);
      if (profile.user_id === me()) throw new ApiError(400, 'self', 'That is you. Pick someone else.');
      $('new-chat-username').value = '';
      const existing = [...state.convs.values()].find((c) => c.kind === 'direct' && c.peer === profile.user_id);
      openConversation(existing ? existing.conv : `draft:${profile.user_id}`);
    } catch (e) {
      error.textContent = e.code === 'unknown_user' ? `Nobody is called “${username}”.` : e.message;
    }
  }

  async function createGroup(event) {
    event.preventDefault();
    const form = $('new-group-form');
    const error = form.querySelector('.form-error');
    const name = $('new-group-name').value.trim();
    const members = $('new-group-members').value.split(/[\s,]+/).map((m) => m.trim().toLowerCase()).filter(Boolean);
    error.textContent = '';
    if (!name) return;
    try {
      const group = await api('POST', '/v1/groups', { name, members });
      const conv = ensureConv(group.group_id, { group_id: group.group_id, name: group.name });
      conv.last_ts = Date.now();   // a new group goes to the top of the list
      rememberMembers(group.group_id, group.members);
      group.members.forEach((u) => fetchUser(u).catch(() => {}));
      state.history.set(group.group_id, { oldest: Infinity, complete: true, loading: false });
      $('new-group-name').value = '';
      $('new-group-members').value = '';
      openConversation(group.group_id);
    } catch (e) {
      error.textContent = e.code === 'unknown_user' ? `Unknown user: ${e.message.replace(/^no user /, '')}` : e.message;
    }
  }

  // MARK: - Session

  function showScreen(signedIn) {
    $('auth-screen').hidden = signedIn;
    $('chat-screen').hidden = !signedIn;
  }

  async function submitAuth(event) {
    event.preventDefault();
    const action = (event.submitter && event.submitter.value) || 'login';
    const username = $('auth-username').value.trim().toLowerCase();
    const password = $('auth-password').value;
    const displayName = $('auth-display-name').value.trim();
    const error = $('auth-error');
    error.textContent = '';
    if (!/^[a-z0-9_.-]{3,32}$/.test(username)) {
      error.textContent = 'A username is 3 to 32 letters, digits, “.”, “_” or “-”.';
      return;
    }
    if (password.length < 6) {
      error.textContent = 'A password has at least 6 characters.';
      return;
    }
    const buttons = $('auth-form').querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      if (action === 'register') {
        await api('POST', '/v1/users', displayName ? { username, password, display_name: displayName } : { username, password });
      }
      // One device per browser tab, so two tabs are two independent sessions.
      const device = `web-${newId().slice(0, 8)}`;
      const session = await api('POST', '/v1/sessions', { username, password, device });
      $('auth-password').value = '';
      startSession({ token: session.token, user_id: session.user_id, username, device: session.device });
    } catch (e) {
      error.textContent = {
        username_taken: 'That username is taken.',
        invalid_credentials: 'Wrong username or password.',
      }[e.code] || e.message;
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  function startSession(session) {
    state.session = session;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    loadCache();
    showScreen(true);
    $('me-name').textContent = session.username;
    paintAvatar($('me-avatar'), session.username, session.user_id);
    fetchUser(session.user_id).then((profile) => {
      $('me-name').textContent = profile.display_name;
      paintAvatar($('me-avatar'), profile.display_name, session.user_id);
    }).catch(() => {});
    refreshConversations();
    connect();
    scheduleRender();
  }

  function signOut(message) {
    state.session = null;
    dropSocket();
    clearTimeout(socket.retryTimer);
    socket.node = null;
    sessionStorage.removeItem(SESSION_KEY);
    sessionStorage.removeItem(CACHE_KEY);
    for (const load of mediaUrls.values()) load.then((url) => URL.revokeObjectURL(url), () => {});
    mediaUrls.clear();
    profiles.clear();
    lookups.clear();
    listItems.clear();
    Object.assign(state, { receipts: {}, members: {}, open: null });
    for (const key of ['convs', 'messages', 'pending', 'history', 'readSent', 'typing']) state[key].clear();
    $('conv-list').replaceChildren();
    clearMessages();
    renderedOpen = null;
    showScreen(false);
    $('auth-error').textContent = message || '';
    document.title = 'Chat';
  }

  // MARK: - Wiring

  function resizeComposer() {
    const input = $('composer-input');
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
  }

  function submitMessage(event) {
    event.preventDefault();
    const input = $('composer-input');
    const body = input.value.trim();
    if (!body || !state.open) return;
    queueMessage({ body });
    input.value = '';
    resizeComposer();
    input.focus();
  }

  function wire() {
    $('auth-form').addEventListener('submit', submitAuth);
    $('new-chat-button').addEventListener('click', () => togglePanel('new-chat-form'));
    $('new-group-button').addEventListener('click', () => togglePanel('new-group-form'));
    $('logout-button').addEventListener('click', () => signOut());
    $('new-chat-form').addEventListener('submit', startChat);
    $('new-group-form').addEventListener('submit', createGroup);
    $('group-info-button').addEventListener('click', () => {
      togglePanel('group-panel');
      const conv = state.convs.get(state.open);
      if (conv) renderGroupPanel(conv);
    });
    $('group-add-form').addEventListener('submit', addMember);
    $('group-leave-button').addEventListener('click', () => {
      const conv = state.convs.get(state.open);
      if (conv && confirm(`Leave “${conv.name}”?`)) removeMember(conv, me());
    });
    document.querySelectorAll('[data-close-panel]').forEach((b) => b.addEventListener('click', closePanels));
    $('back-button').addEventListener('click', () => {
      if (history.state && history.state.conv) history.back();
      else closeConversation();
    });
    window.addEventListener('popstate', () => { if (state.open) closeConversation(); });

    const input = $('composer-input');
    $('composer').addEventListener('submit', submitMessage);
    input.addEventListener('input', () => {
      resizeComposer();
      if (input.value.trim()) typed();
    });
    input.addEventListener('keydown', (event) => {
      // Enter sends, Shift+Enter starts a new line (as in other chat apps).
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) submitMessage(event);
    });
    $('attach-button').addEventListener('click', () => $('file-input').click());
    $('file-input').addEventListener('change', (event) => {
      const file = event.target.files[0];
      event.target.value = '';   // choosing the same file again fires `change` again
      if (file && state.open) sendPicture(file);
    });
    $('messages').addEventListener('scroll', () => {
      const box = $('messages');
      if (box.scrollTop < 80 && state.open && !isDraft(state.open)) loadOlder(state.open);
    });
    document.addEventListener('keydown', (event) => { if (event.key === 'Escape') closePanels(); });

    // Read receipts wait until the user can see the conversation.
    document.addEventListener('visibilitychange', () => {
      if (pageVisible() && state.open && !isDraft(state.open)) markRead(state.open);
    });
    window.addEventListener('focus', () => { if (state.session) refreshConversations(); });
    // The browser knows about the network before the socket does.
    window.addEventListener('offline', () => { if (socket.ws) dropSocket(); });
    window.addEventListener('online', () => {
      socket.attempts = 0;
      if (state.session && !socket.ws) connect();
    });
    // "last seen" and "Today" drift as time passes.
    setInterval(scheduleRender, 60000);
  }

  function boot() {
    wire();
    let saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(SESSION_KEY)); } catch { /* signed out */ }
    if (saved && saved.token) startSession(saved);
    else showScreen(false);
  }

  boot();
})();
