import { useState } from 'preact/hooks';
import { call, UnauthorisedError } from './api.ts';
import { Chat } from './chat.tsx';
import { Dialog } from './dialog.tsx';
import { sendForm } from './form.ts';
import { CEO_ID, type Agent, type FieldError, type Figures, type OrgTree } from './model.ts';

type Action = 'retire' | 'rotate' | 'sleep' | 'wake';

const ACTIONS: Record<Action, { label: string; path: string; question: string; withReason: boolean }> = {
  retire: {
    label: 'Retire',
    path: 'retire',
    question: 'Retire this agent? Its task stops, its chat account is deactivated and its secret is deleted.',
    withReason: true,
  },
  rotate: {
    label: 'Rotate credentials',
    path: 'credentials/rotate',
    question: 'Give this agent a new chat credential? The old one stops working.',
    withReason: true,
  },
  sleep: {
    label: 'Sleep',
    path: 'sleep',
    question: 'Put this agent to sleep now? Its task stops; a mention or direct message wakes it.',
    withReason: false,
  },
  wake: { label: 'Wake', path: 'wake', question: 'Wake this agent now?', withReason: false },
};

/** An agent's card: its place in the org, its status step by step, and what can be done to it. */
export function AgentCard({
  agent,
  tree,
  token,
  onSelect,
  onUnauthorised,
}: {
  readonly agent: Agent;
  readonly tree: OrgTree;
  readonly token: string;
  readonly onSelect: (agentId: string) => void;
  readonly onUnauthorised: () => void;
}) {
  const [confirming, setConfirming] = useState<Action | undefined>();
  const [outcome, setOutcome] = useState<string | undefined>();
  const [chatting, setChatting] = useState(false);
  const [budgeting, setBudgeting] = useState(false);
  const manager = agent.manager === CEO_ID ? undefined : tree.agents.get(agent.manager);
  const reports = tree.reports.get(agent.agentId) ?? [];
  const retired = agent.status === 'retired' || agent.status === 'retiring';

  return (
    <article class="card" aria-labelledby="card-name" data-agent={agent.agentId}>
      <header>
        <h2 id="card-name">{agent.name}</h2>
        <p class="title">{agent.title}</p>
        <p>
          <span class={`badge status-${agent.status}`} data-field="status">
            {agent.status}
          </span>{' '}
          <span class="level">{agent.level}</span>
        </p>
      </header>
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{agent.agentId}</code>
        </dd>
        <dt>Department</dt>
        <dd>
          {agent.department}
          {agent.team === undefined ? '' : ` · ${agent.team}`}
        </dd>
        <dt>Manager</dt>
        <dd>
          {agent.manager === CEO_ID ? (
            'The CEO'
          ) : manager === undefined ? (
            <code>{agent.manager}</code>
          ) : (
            <button
              type="button"
              class="link"
              onClick={() => {
                onSelect(manager.agentId);
              }}
            >
              {manager.name}
            </button>
          )}
        </dd>
        <dt>Reports</dt>
        <dd>
          <PeopleLinks people={reports} limit={20} onSelect={onSelect} />
        </dd>
        <dt>Awake</dt>
        <dd data-field="awake">
          {agent.status === 'asleep' ? 'Asleep' : agent.status === 'running' ? 'Awake' : '—'}
          {agent.wakePolicy === undefined ? '' : ` (${agent.wakePolicy})`}
        </dd>
        <dt>Last activity</dt>
        <dd data-field="activity">
          {agent.lastActiveAt === undefined ? 'None seen' : <Time at={agent.lastActiveAt} />}
          {agent.wakes === undefined ? (
            ''
          ) : (
            <>
              {`; woken ${agent.wakes.count} ${agent.wakes.count === 1 ? 'time' : 'times'}, last `}
              <Time at={agent.wakes.lastAt} />
            </>
          )}
        </dd>
        <dt>Restarts</dt>
        <dd data-field="restarts">
          {agent.restarts === undefined ? (
            'None'
          ) : (
            <>
              {`${agent.restarts.count}; last `}
              <Time at={agent.restarts.lastAt} />
              {`: ${agent.restarts.lastReason}`}
            </>
          )}
        </dd>
        <dt>Health</dt>
        <dd>
          {agent.health === undefined
            ? '—'
            : `${agent.health.state} since ${time(agent.health.at)}${agent.health.detail === undefined ? '' : ` (${agent.health.detail})`}`}
        </dd>
        <dt>Last change</dt>
        <dd>{time(agent.updatedAt)}</dd>
        <dt>Model spend</dt>
        <dd data-field="spend">{spendText(agent)}</dd>
      </dl>
      <h3>Cascade</h3>
      <ol class="steps">
        {agent.steps.map((step) => (
          <li
            key={`${step.phase}-${step.step}`}
            class={`step ${step.state}`}
            data-step={`${step.phase}:${step.step}`}
          >
            <span class="step-name">
              {step.phase === 'retire' ? 'retire: ' : ''}
              {step.step}
            </span>{' '}
            <span class={`badge state-${step.state}`}>{step.state}</span>{' '}
            {step.at !== undefined && <time dateTime={step.at}>{time(step.at)}</time>}
            {step.error !== undefined && <p class="error">{step.error}</p>}
          </li>
        ))}
      </ol>
      {!retired && (
        <div class="actions" role="group" aria-label="Actions">
          <button
            type="button"
            onClick={() => {
              setOutcome(undefined);
              setBudgeting(true);
            }}
          >
            Change budget
          </button>
          {(['sleep', 'wake', 'rotate', 'retire'] as const).map((action) => (
            <button
              key={action}
              type="button"
              class={action === 'retire' ? 'danger' : ''}
              onClick={() => {
                setOutcome(undefined);
                setConfirming(action);
              }}
            >
              {ACTIONS[action].label}
            </button>
          ))}
        </div>
      )}
      {!retired && (
        <div class="talk">
          <button
            type="button"
            class="quiet"
            aria-expanded={chatting}
            onClick={() => {
              setChatting(!chatting);
            }}
          >
            {chatting ? 'Close the chat' : `Talk to ${agent.name}`}
          </button>
          {chatting && <Chat agent={agent} token={token} onUnauthorised={onUnauthorised} />}
        </div>
      )}
      {outcome !== undefined && (
        <p class="outcome" role="status">
          {outcome}
        </p>
      )}
      {budgeting && (
        <BudgetDialog
          agent={agent}
          token={token}
          onClose={() => {
            setBudgeting(false);
          }}
          onDone={(text) => {
            setBudgeting(false);
            setOutcome(text);
          }}
          onUnauthorised={onUnauthorised}
        />
      )}
      {confirming !== undefined && (
        <Confirm
          action={confirming}
          agent={agent}
          onCancel={() => {
            setConfirming(undefined);
          }}
          onConfirm={async (reason) => {
            const spec = ACTIONS[confirming];
            try {
              const answer = await call(
                token,
                'POST',
                `/v1/agents/${encodeURIComponent(agent.agentId)}/${spec.path}`,
                reason === '' ? undefined : { reason },
              );
              if (answer.status >= 200 && answer.status < 300) {
                setOutcome(`${spec.label}: requested.`);
                setConfirming(undefined);
                return undefined;
              }
              return typeof answer.body['message'] === 'string'
                ? answer.body['message']
                : `refused (${answer.status})`;
            } catch (error) {
              if (error instanceof UnauthorisedError) onUnauthorised();
              return 'The directory could not be reached.';
            }
          }}
        />
      )}
    </article>
  );
}

function Confirm({
  action,
  agent,
  onCancel,
  onConfirm,
}: {
  readonly action: Action;
  readonly agent: Agent;
  readonly onCancel: () => void;
  /** Resolves to an error to show, or undefined when it was done. */
  readonly onConfirm: (reason: string) => Promise<string | undefined>;
}) {
  const spec = ACTIONS[action];
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title={`${spec.label}: ${agent.name}`} onClose={onCancel}>
      <form
        method="dialog"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const reason = (form.elements.namedItem('reason') as HTMLInputElement | null)?.value.trim() ?? '';
          setBusy(true);
          void onConfirm(reason).then((problem) => {
            setError(problem);
            setBusy(false);
          });
        }}
      >
        <p>{spec.question}</p>
        {spec.withReason && (
          <label>
            Reason (optional)
            <input name="reason" type="text" maxLength={2000} />
          </label>
        )}
        {error !== undefined && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="buttons">
          <button type="button" class="quiet" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" class={action === 'retire' ? 'danger' : ''} disabled={busy}>
            {spec.label}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** This month's spend against the agent's budget, and where the gateway says it stands. */
function spendText(agent: Agent): string {
  const spend = agent.modelSpend;
  const budget = agent.monthlyBudgetUsd;
  const against =
    budget === undefined
      ? ' (no budget of its own)'
      : ` of $${budget.toFixed(2)}${budget > 0 && spend !== undefined ? ` (${Math.round((spend.costUsd / budget) * 100)}%)` : ''}`;
  if (spend === undefined)
    return budget === undefined ? 'No budget of its own' : `Budget $${budget.toFixed(2)}`;
  return `$${spend.costUsd.toFixed(2)}${against} in ${spend.month}, ${spend.calls} calls — ${spend.budget}`;
}

/**
 * Changes the agent's monthly model budget (PATCH /v1/agents/{id} with `monthlyBudgetUsd`, as
 * `ocf budget --set` does): the dialog is the confirmation, saying what was and what will be. What
 * is typed goes as typed (a number when it reads as one) and the directory judges it; its 400
 * shows beside the field it names.
 */
function BudgetDialog({
  agent,
  token,
  onClose,
  onDone,
  onUnauthorised,
}: {
  readonly agent: Agent;
  readonly token: string;
  readonly onClose: () => void;
  readonly onDone: (outcome: string) => void;
  readonly onUnauthorised: () => void;
}) {
  const [errors, setErrors] = useState<readonly FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const [none, setNone] = useState(false);
  const own = errors.filter((error) => error.field === 'monthlyBudgetUsd');
  const other = errors.filter((error) => error.field !== 'monthlyBudgetUsd');
  const now =
    agent.monthlyBudgetUsd === undefined
      ? 'no budget of its own'
      : `$${agent.monthlyBudgetUsd.toFixed(2)} a month`;
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const raw = (form.elements.namedItem('monthlyBudgetUsd') as HTMLInputElement).value.trim();
    const value = none ? null : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
    await sendForm(
      form,
      () =>
        call(token, 'PATCH', `/v1/agents/${encodeURIComponent(agent.agentId)}`, { monthlyBudgetUsd: value }),
      {
        succeeded: 200,
        onSuccess: () => {
          onDone(value === null ? 'Budget removed.' : `Budget set to $${Number(value).toFixed(2)} a month.`);
        },
        setErrors,
        setBusy,
        onUnauthorised,
      },
    );
  };
  return (
    <Dialog title={`Change budget: ${agent.name}`} onClose={onClose}>
      <form class="budget" noValidate onSubmit={(event) => void submit(event)}>
        <p>
          Its monthly model budget is {now}. The model gateway stops its model calls once a month's spend
          reaches it.
        </p>
        <div class="field">
          <label for="budget-amount">New monthly budget, USD</label>
          <input
            id="budget-amount"
            name="monthlyBudgetUsd"
            type="text"
            inputMode="decimal"
            autocomplete="off"
            disabled={none}
            aria-invalid={own.length > 0}
            aria-describedby={own.length > 0 ? 'budget-amount-error' : undefined}
          />
          {own.length > 0 && (
            <p id="budget-amount-error" class="error" data-error-for="monthlyBudgetUsd">
              {own.map((error) => error.message).join(' ')}
            </p>
          )}
        </div>
        <label class="check">
          <input
            type="checkbox"
            name="none"
            checked={none}
            onChange={(event) => {
              setNone(event.currentTarget.checked);
            }}
          />
          No budget of its own (the department's and the fleet's still apply)
        </label>
        {other.length > 0 && (
          <p class="error" role="alert" data-error-for="form">
            {other.map((error) => error.message).join(' ')}
          </p>
        )}
        {own.length > 0 && (
          <p class="visually-hidden" role="alert">
            {own.map((error) => error.message).join(' ')}
          </p>
        )}
        <div class="buttons">
          <button type="button" class="quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={busy}>
            Set budget
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The human CEO's card: a person, not an agent — who reports to them, and the fleet under them. */
export function CeoCard({
  tree,
  stats,
  onSelect,
}: {
  readonly tree: OrgTree;
  readonly stats: Figures;
  readonly onSelect: (agentId: string) => void;
}) {
  const reports = tree.reports.get(CEO_ID) ?? [];
  return (
    <article class="card" aria-labelledby="card-name" data-agent={CEO_ID}>
      <header>
        <h2 id="card-name">The CEO</h2>
        <p class="title">A person at the root of the org chart, not an agent: nothing runs for them.</p>
      </header>
      <dl class="facts">
        <dt>Direct reports</dt>
        <dd data-field="reports">
          <PeopleLinks people={reports} onSelect={onSelect} />
        </dd>
        <dt>The org under them</dt>
        <dd>{`${stats.total} agents`}</dd>
      </dl>
    </article>
  );
}

function Time({ at }: { readonly at: string }) {
  return <time dateTime={at}>{time(at)}</time>;
}

function time(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** Agents as a comma-separated list of links that open their cards; "None" for no one. */
function PeopleLinks({
  people,
  limit = Infinity,
  onSelect,
}: {
  readonly people: readonly Agent[];
  readonly limit?: number;
  readonly onSelect: (agentId: string) => void;
}) {
  if (people.length === 0) return <>None</>;
  return (
    <>
      {people.slice(0, limit).map((person, index) => (
        <span key={person.agentId}>
          {index > 0 && ', '}
          <button
            type="button"
            class="link"
            onClick={() => {
              onSelect(person.agentId);
            }}
          >
            {person.name}
          </button>
        </span>
      ))}
      {people.length > limit && ` and ${people.length - limit} more`}
    </>
  );
}
