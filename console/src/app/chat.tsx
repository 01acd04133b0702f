import { useEffect, useRef, useState } from 'preact/hooks';
import { call, UnauthorisedError } from './api.ts';
import type { Agent } from './model.ts';

/**
 * Talking to an agent as a person: a Matrix session of a human user of the fleet's homeserver
 * (locally the CEO that `pnpm fleet up` registers; on AWS any person's account), signed in with a
 * password once per tab and kept in sessionStorage like the API token. The chat is the person's
 * direct chat with the agent: an existing one (the person's `m.direct`, with the agent in it), or
 * a new room the person makes and invites the agent to as a direct chat, which the bridge accepts
 * for the agent (people of the fleet's homeserver only). Each message carries an intentional
 * mention of the agent (`m.mentions`, not in the text), so a sleeping agent is woken by it
 * whatever the bridge remembers. The room is followed with /sync, so the answer shows as it arrives.
 */
interface MatrixSession {
  readonly homeserverUrl: string;
  readonly userId: string;
  readonly accessToken: string;
}

const SESSION_KEY = 'ocf.console.matrix';

function storedSession(): MatrixSession | undefined {
  const text = sessionStorage.getItem(SESSION_KEY);
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as MatrixSession;
  } catch {
    return undefined;
  }
}

interface Message {
  readonly eventId: string;
  readonly sender: string;
  readonly body: string;
}

interface RoomEvent {
  readonly event_id: string;
  readonly type: string;
  readonly sender: string;
  readonly content: { readonly body?: unknown; readonly msgtype?: unknown };
}

async function matrix(
  session: Pick<MatrixSession, 'homeserverUrl'> & { readonly accessToken?: string },
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${session.homeserverUrl.replace(/\/+$/, '')}/_matrix/client/v3${path}`, {
    method,
    headers: {
      ...(session.accessToken === undefined ? {} : { authorization: `Bearer ${session.accessToken}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal === undefined ? {} : { signal }),
  });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = typeof answer['error'] === 'string' ? answer['error'] : `HTTP ${response.status}`;
    throw Object.assign(new Error(error), { status: response.status, errcode: answer['errcode'] });
  }
  return answer;
}

function isJoinOf(event: RoomEvent, userId: string): boolean {
  return (
    event.type === 'm.room.member' &&
    (event as { state_key?: unknown }).state_key === userId &&
    (event.content as { membership?: unknown }).membership === 'join'
  );
}

/**
 * The person's direct chat with the agent: the newest room of their `m.direct` for the agent that
 * they are still in, or a new one (private, the agent invited as a direct chat), recorded in their
 * `m.direct` as any Matrix client does, so Element and the console find the same room.
 */
async function directRoom(session: MatrixSession, agentUserId: string, signal: AbortSignal): Promise<string> {
  const accountData = `/user/${encodeURIComponent(session.userId)}/account_data/m.direct`;
  let direct: Record<string, string[]> = {};
  try {
    direct = (await matrix(session, 'GET', accountData, undefined, signal)) as Record<string, string[]>;
  } catch (problem) {
    if ((problem as { status?: number }).status !== 404) throw problem;
  }
  for (const roomId of [...(direct[agentUserId] ?? [])].reverse()) {
    try {
      const member = await matrix(
        session,
        'GET',
        `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(session.userId)}`,
        undefined,
        signal,
      );
      const agent = await matrix(
        session,
        'GET',
        `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(agentUserId)}`,
        undefined,
        signal,
      );
      const still = (content: Record<string, unknown>) =>
        content['membership'] === 'join' || content['membership'] === 'invite';
      if (member['membership'] === 'join' && still(agent)) return roomId;
    } catch {
      // Left, forgotten or unreadable: not the chat any more.
    }
  }
  const created = await matrix(
    session,
    'POST',
    '/createRoom',
    { preset: 'trusted_private_chat', is_direct: true, invite: [agentUserId] },
    signal,
  );
  const roomId = String(created['room_id']);
  await matrix(
    session,
    'PUT',
    accountData,
    { ...direct, [agentUserId]: [...(direct[agentUserId] ?? []), roomId] },
    signal,
  );
  return roomId;
}

function messagesOf(events: readonly RoomEvent[]): Message[] {
  return events
    .filter((event) => event.type === 'm.room.message' && typeof event.content.body === 'string')
    .map((event) => ({ eventId: event.event_id, sender: event.sender, body: String(event.content.body) }));
}

export function Chat({
  agent,
  token,
  onUnauthorised,
}: {
  readonly agent: Agent;
  readonly token: string;
  readonly onUnauthorised: () => void;
}) {
  const [homeserverUrl, setHomeserverUrl] = useState<string | null | undefined>();
  const [session, setSession] = useState<MatrixSession | undefined>(storedSession);
  const [room, setRoom] = useState<{ roomId: string; agentUserId: string } | undefined>();
  const [agentJoined, setAgentJoined] = useState(false);
  const [messages, setMessages] = useState<readonly Message[]>([]);
  const [error, setError] = useState<string | undefined>();
  const log = useRef<HTMLOListElement>(null);

  useEffect(() => {
    void fetch('/console/config.json')
      .then((response) => response.json() as Promise<{ homeserverUrl?: string }>)
      .then((config) => {
        setHomeserverUrl(config.homeserverUrl ?? null);
      })
      .catch(() => {
        setHomeserverUrl(null);
      });
  }, []);

  // Signed in: find the agent's room, join it, read what was said, then follow it live.
  useEffect(() => {
    if (session === undefined) return;
    const stop = new AbortController();
    const stopped = () => stop.signal.aborted;
    const seen = new Set<string>();
    const add = (incoming: readonly Message[]) => {
      const fresh = incoming.filter((message) => !seen.has(message.eventId));
      for (const message of fresh) seen.add(message.eventId);
      if (fresh.length > 0) setMessages((before) => [...before, ...fresh]);
    };
    void (async () => {
      try {
        const target = await call(token, 'GET', `/v1/agents/${encodeURIComponent(agent.agentId)}/chat`);
        if (target.status !== 200) {
          setError(
            typeof target.body['message'] === 'string' ? target.body['message'] : 'no chat for this agent',
          );
          return;
        }
        const agentUserId = String(target.body['agentUserId']);
        const roomId = await directRoom(session, agentUserId, stop.signal);
        setRoom({ roomId, agentUserId });
        const members = await matrix(
          session,
          'GET',
          `/rooms/${encodeURIComponent(roomId)}/joined_members`,
          undefined,
          stop.signal,
        );
        if (agentUserId in ((members['joined'] as Record<string, unknown> | undefined) ?? {}))
          setAgentJoined(true);
        const history = await matrix(
          session,
          'GET',
          `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=30`,
          undefined,
          stop.signal,
        );
        add(messagesOf((history['chunk'] as RoomEvent[]).slice().reverse()));
        const filter = encodeURIComponent(
          JSON.stringify({
            room: {
              rooms: [roomId],
              timeline: { limit: 20 },
              state: { types: [] },
              ephemeral: { types: [] },
            },
            presence: { types: [] },
            account_data: { types: [] },
          }),
        );
        let since: string | undefined;
        while (!stopped()) {
          const sync = await matrix(
            session,
            'GET',
            `/sync?filter=${filter}&timeout=${since === undefined ? 0 : 25_000}${since === undefined ? '' : `&since=${encodeURIComponent(since)}`}`,
            undefined,
            stop.signal,
          );
          since = String(sync['next_batch']);
          const rooms = sync['rooms'] as
            { join?: Record<string, { timeline?: { events?: RoomEvent[] } }> } | undefined;
          const events = rooms?.join?.[roomId]?.timeline?.events ?? [];
          // The bridge joins the agent for it: sending waits for that, or the agent would never see it.
          if (events.some((event) => isJoinOf(event, agentUserId))) setAgentJoined(true);
          add(messagesOf(events));
        }
      } catch (problem) {
        if (stopped()) return;
        if (problem instanceof UnauthorisedError) {
          onUnauthorised();
          return;
        }
        const status = (problem as { status?: number }).status;
        if (status === 401) {
          sessionStorage.removeItem(SESSION_KEY);
          setSession(undefined);
          return;
        }
        setError(
          status === 403 || status === 404
            ? `The homeserver refused the direct chat for ${session.userId}: ${(problem as Error).message}`
            : `Chat failed: ${(problem as Error).message}`,
        );
      }
    })();
    return () => {
      stop.abort();
    };
  }, [session, agent.agentId, token]);

  useEffect(() => {
    const element = log.current;
    if (element !== null) element.scrollTop = element.scrollHeight;
  }, [messages]);

  if (homeserverUrl === undefined) return <p role="status">Loading the chat…</p>;
  if (homeserverUrl === null)
    return <p class="hint">Chat is not configured: the directory has no CONSOLE_HOMESERVER_URL.</p>;
  if (session === undefined)
    return (
      <SignIn
        homeserverUrl={homeserverUrl}
        onSession={(value) => {
          sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
          setSession(value);
        }}
      />
    );

  const send = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const input = form.elements.namedItem('message') as HTMLInputElement;
    const text = input.value.trim();
    if (text === '' || room === undefined || !agentJoined) return;
    try {
      await matrix(
        session,
        'PUT',
        `/rooms/${encodeURIComponent(room.roomId)}/send/m.room.message/console-${Date.now()}-${Math.random().toString(36).slice(2)}`,
        { msgtype: 'm.text', body: text, 'm.mentions': { user_ids: [room.agentUserId] } },
      );
      input.value = '';
    } catch (problem) {
      setError(`Sending failed: ${(problem as Error).message}`);
    }
  };

  return (
    <section class="chat" aria-label={`Chat with ${agent.name}`}>
      <p class="hint">
        As <code>{session.userId}</code>
      </p>
      <ol class="messages" role="log" aria-live="polite" ref={log}>
        {messages.map((message) => (
          <li key={message.eventId} data-sender={message.sender === room?.agentUserId ? 'agent' : 'person'}>
            <strong>
              {message.sender === session.userId
                ? 'You'
                : message.sender === room?.agentUserId
                  ? agent.name
                  : message.sender}
              :
            </strong>{' '}
            {message.body}
          </li>
        ))}
      </ol>
      {room !== undefined && !agentJoined && error === undefined && (
        <p class="hint" role="status">
          Waiting for {agent.name} to join your direct chat…
        </p>
      )}
      {error !== undefined && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <form class="send" onSubmit={(event) => void send(event)}>
        <label for="chat-message">Message to {agent.name}</label>
        <input
          id="chat-message"
          name="message"
          type="text"
          autocomplete="off"
          disabled={room === undefined || !agentJoined}
        />
        <button type="submit" disabled={room === undefined || !agentJoined}>
          Send
        </button>
      </form>
    </section>
  );
}

function SignIn({
  homeserverUrl,
  onSession,
}: {
  readonly homeserverUrl: string;
  readonly onSession: (session: MatrixSession) => void;
}) {
  const [error, setError] = useState<string | undefined>();
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const user = (form.elements.namedItem('user') as HTMLInputElement).value.trim();
    const password = (form.elements.namedItem('password') as HTMLInputElement).value;
    try {
      const login = await matrix({ homeserverUrl }, 'POST', '/login', {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user },
        password,
        initial_device_display_name: 'Fleet console',
      });
      onSession({
        homeserverUrl,
        userId: String(login['user_id']),
        accessToken: String(login['access_token']),
      });
    } catch (problem) {
      setError(`Sign-in refused: ${(problem as Error).message}`);
    }
  };
  return (
    <form class="chat-signin" noValidate onSubmit={(event) => void submit(event)}>
      <p class="hint">
        Sign in to the fleet's homeserver as a person (locally: the CEO, as `pnpm fleet up` printed).
      </p>
      <label for="chat-user">Matrix user</label>
      <input id="chat-user" name="user" type="text" autocomplete="username" />
      <label for="chat-password">Password</label>
      <input id="chat-password" name="password" type="password" autocomplete="current-password" />
      {error !== undefined && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">Sign in to chat</button>
    </form>
  );
}
