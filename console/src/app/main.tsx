import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { checkToken, forgetToken, storedToken, storeToken, UnauthorisedError, watchAgents } from './api.ts';
import { AgentCard, CeoCard } from './card.tsx';
import { Chart } from './chart.tsx';
import { HireDialog } from './hire.tsx';
import {
  applyAgent,
  buildTree,
  CEO_ID,
  choices,
  figures,
  managersOf,
  NO_FILTER,
  visibleRows,
  LEVELS,
  type Agent,
  type Filter,
} from './model.ts';
import './styles.css';

function App() {
  const [token, setToken] = useState<string | undefined>(storedToken);
  const signOut = useCallback(() => {
    forgetToken();
    setToken(undefined);
  }, []);
  if (token === undefined)
    return (
      <TokenForm
        onToken={(value) => {
          storeToken(value);
          setToken(value);
        }}
      />
    );
  return <Console token={token} onSignOut={signOut} />;
}

/** The operator gives the API token once per tab; it is checked before anything else is shown. */
function TokenForm({ onToken }: { readonly onToken: (token: string) => void }) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem('token') as HTMLInputElement;
    const token = input.value.trim();
    if (token === '') {
      setError('Enter an API token.');
      return;
    }
    setBusy(true);
    try {
      const verdict = await checkToken(token);
      if (verdict === 'ok') onToken(token);
      else setError('The directory refused this token.');
    } catch {
      setError('The directory could not be reached.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Open-Claw-Fleet console</h1>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <label for="token">API token</label>
        <p id="token-help" class="help">
          The token <code>pnpm fleet up</code> printed (or one from <code>pnpm token:create</code>). It is
          kept in this tab only.
        </p>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          aria-describedby={error === undefined ? 'token-help' : 'token-help token-error'}
          aria-invalid={error !== undefined}
        />
        {error !== undefined && (
          <p id="token-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Open the console
        </button>
      </form>
    </main>
  );
}

type Connection = 'connecting' | 'live' | 'reconnecting';

function Console({ token, onSignOut }: { readonly token: string; readonly onSignOut: () => void }) {
  // The agents live in a map mutated in place; `revision` re-renders once per animation frame
  // however many changes arrive in it (a 1,000-agent snapshot is one render, not a thousand).
  const agents = useRef(new Map<string, Agent>()).current;
  const [revision, setRevision] = useState(0);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [synced, setSynced] = useState(false);
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  // The CEO's row starts open: the chart shows the org's top under it.
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set([CEO_ID]));
  const [selected, setSelected] = useState<string | undefined>();
  const [hiring, setHiring] = useState(false);
  const [showRetired, setShowRetired] = useState(false);

  useEffect(() => {
    const stop = new AbortController();
    let frame: number | undefined;
    const changed = () => {
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        setRevision((n) => n + 1);
      });
    };
    // A function, not the property: the loop awaits, and the abort can come meanwhile.
    const stopped = () => stop.signal.aborted;
    void (async () => {
      while (!stopped()) {
        try {
          await watchAgents(
            token,
            {
              onAgent: (agent) => {
                if (applyAgent(agents, agent)) changed();
              },
              onSynced: () => {
                setSynced(true);
                setConnection('live');
                changed();
              },
            },
            stop.signal,
          );
        } catch (error) {
          if (error instanceof UnauthorisedError) {
            onSignOut();
            return;
          }
        }
        if (stopped()) return;
        setConnection('reconnecting');
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    })();
    return () => {
      stop.abort();
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [token]);

  // Recomputed when the agents change (revision) or the view does; cheap next to a render.
  const tree = useMemo(() => buildTree(agents, { withRetired: showRetired }), [revision, showRetired]);
  const rows = useMemo(() => visibleRows(tree, expanded, filter), [tree, expanded, filter]);
  const stats = useMemo(() => figures(agents.values()), [revision]);
  const options = useMemo(() => choices(agents.values(), filter.department), [revision, filter.department]);
  const current = selected === undefined ? undefined : agents.get(selected);

  const toggle = useCallback((agentId: string, open?: boolean) => {
    setExpanded((before) => {
      const after = new Set(before);
      if (open ?? !after.has(agentId)) after.add(agentId);
      else after.delete(agentId);
      return after;
    });
  }, []);
  /**
   * Opens the tree down to an agent and shows its card (from a link, a failure, a hire just made).
   * An agent the stream has not brought yet is opened to when it arrives.
   */
  const [revealing, setRevealing] = useState<string | undefined>();
  const reveal = useCallback((agentId: string) => {
    setRevealing(agentId);
    setSelected(agentId);
  }, []);
  useEffect(() => {
    if (revealing === undefined || !tree.agents.has(revealing)) return;
    const chain = managersOf(tree, revealing);
    setExpanded((before) => (chain.every((id) => before.has(id)) ? before : new Set([...before, ...chain])));
    setRevealing(undefined);
  }, [revealing, tree]);

  return (
    <div class="console">
      <header class="top">
        <h1>Fleet console</h1>
        <span class={`connection ${connection}`} role="status">
          {connection === 'live' ? 'Live' : connection === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </span>
        <button
          type="button"
          onClick={() => {
            setHiring(true);
          }}
        >
          Hire an agent
        </button>
        <button type="button" class="quiet" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <FleetFigures stats={stats} onSelect={reveal} />
      <Filters
        filter={filter}
        options={options}
        showRetired={showRetired}
        onShowRetired={setShowRetired}
        onChange={setFilter}
        shown={rows.length}
        onExpandAll={() => {
          setExpanded(new Set([CEO_ID, ...[...tree.reports.keys()].filter((id) => tree.agents.has(id))]));
        }}
        onCollapseAll={() => {
          setExpanded(new Set([CEO_ID]));
        }}
      />
      <div class="panes">
        <section class="chart-pane" aria-label="Org chart">
          {!synced ? (
            <p class="loading" role="status">
              Loading the org chart…
            </p>
          ) : (
            <Chart
              rows={rows}
              selected={selected}
              onSelect={setSelected}
              onToggle={toggle}
              expandAll={(ids) => {
                setExpanded((before) => new Set([...before, ...ids]));
              }}
            />
          )}
        </section>
        <aside class="card-pane" aria-label="Agent details">
          {selected === CEO_ID ? (
            <CeoCard tree={tree} stats={stats} onSelect={reveal} />
          ) : current === undefined ? (
            <p class="hint">Select an agent to see its card.</p>
          ) : (
            <AgentCard
              key={current.agentId}
              agent={current}
              tree={tree}
              token={token}
              onSelect={reveal}
              onUnauthorised={onSignOut}
            />
          )}
        </aside>
      </div>
      {hiring && (
        <HireDialog
          token={token}
          agents={agents}
          onClose={() => {
            setHiring(false);
          }}
          onHired={(agentId) => {
            setHiring(false);
            reveal(agentId);
          }}
          onUnauthorised={onSignOut}
        />
      )}
    </div>
  );
}

function FleetFigures({
  stats,
  onSelect,
}: {
  readonly stats: ReturnType<typeof figures>;
  readonly onSelect: (agentId: string) => void;
}) {
  const order = [
    'running',
    'asleep',
    'launching',
    'hired',
    'failed',
    'crash-looping',
    'unhealthy',
    'retiring',
  ];
  const statuses = [...stats.byStatus.entries()].sort(
    ([a], [b]) => ((order.indexOf(a) + 99) % 99) - ((order.indexOf(b) + 99) % 99),
  );
  return (
    <section class="figures" aria-label="Fleet figures">
      <dl>
        <div>
          <dt>Agents</dt>
          <dd data-figure="total">{stats.total}</dd>
        </div>
        <div>
          <dt>Awake</dt>
          <dd data-figure="awake">{stats.awake}</dd>
        </div>
        <div>
          <dt>Asleep</dt>
          <dd data-figure="asleep">{stats.asleep}</dd>
        </div>
        <div>
          <dt>Hires in progress</dt>
          <dd data-figure="in-progress">{stats.inProgress}</dd>
        </div>
        <div>
          <dt>Need attention</dt>
          <dd data-figure="attention">{stats.attention.length}</dd>
        </div>
        <div>
          <dt>Crash loops</dt>
          <dd data-figure="crash-loops">{stats.crashLoops}</dd>
        </div>
        <div>
          <dt>Failed steps</dt>
          <dd data-figure="failed-steps">{stats.failedSteps}</dd>
        </div>
        <div>
          <dt>Model spend this month</dt>
          <dd data-figure="spend">${stats.spendUsd.toFixed(2)}</dd>
        </div>
      </dl>
      <p class="by-status">
        {statuses.map(([status, count]) => (
          <span key={status} class={`badge status-${status}`}>
            {status} {count}
          </span>
        ))}
      </p>
      {stats.attention.length > 0 && (
        <details class="attention">
          <summary>Failures needing attention ({stats.attention.length})</summary>
          <ul>
            {stats.attention.slice(0, 50).map(({ agent, reason }) => (
              <li key={agent.agentId}>
                <button
                  type="button"
                  class="link"
                  onClick={() => {
                    onSelect(agent.agentId);
                  }}
                >
                  {agent.name}
                </button>{' '}
                <span class={`badge status-${agent.status}`}>{agent.status}</span> {reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

function Filters({
  filter,
  options,
  onChange,
  shown,
  showRetired,
  onShowRetired,
  onExpandAll,
  onCollapseAll,
}: {
  readonly filter: Filter;
  readonly options: ReturnType<typeof choices>;
  readonly onChange: (filter: Filter) => void;
  readonly shown: number;
  readonly showRetired: boolean;
  readonly onShowRetired: (show: boolean) => void;
  readonly onExpandAll: () => void;
  readonly onCollapseAll: () => void;
}) {
  const select = (key: keyof Filter, label: string, values: readonly string[]) => (
    // A label beside its control, not around it: a wrapping label would put every option's text
    // into the select's accessible name.
    <div class="filter">
      <label for={`filter-${key}`}>{label}</label>
      <select
        id={`filter-${key}`}
        name={key}
        value={filter[key]}
        onChange={(event) => {
          const value = event.currentTarget.value;
          onChange({ ...filter, [key]: value, ...(key === 'department' ? { team: '' } : {}) });
        }}
      >
        <option value="">All</option>
        {values.map((value) => (
          <option key={value} value={value}>
            {value}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <form
      class="filters"
      role="search"
      aria-label="Find agents"
      onSubmit={(event) => {
        event.preventDefault();
      }}
    >
      <div class="filter">
        <label for="filter-query">Search</label>
        <input
          id="filter-query"
          type="search"
          name="query"
          placeholder="Name, title or id"
          value={filter.query}
          onInput={(event) => {
            onChange({ ...filter, query: event.currentTarget.value });
          }}
        />
      </div>
      {select('department', 'Department', options.departments)}
      {select('team', 'Team', options.teams)}
      {select('level', 'Level', LEVELS)}
      {select('status', 'Status', options.statuses)}
      <label class="check">
        <input
          type="checkbox"
          checked={showRetired}
          onChange={(event) => {
            onShowRetired(event.currentTarget.checked);
          }}
        />
        Show retired
      </label>
      <button type="button" class="quiet" data-action="expand-all" onClick={onExpandAll}>
        Expand all
      </button>
      <button type="button" class="quiet" onClick={onCollapseAll}>
        Collapse all
      </button>
      <span class="shown" aria-live="polite">
        {shown} shown
      </span>
    </form>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
