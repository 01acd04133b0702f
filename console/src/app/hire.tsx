import { useState } from 'preact/hooks';
import { call } from './api.ts';
import { Dialog } from './dialog.tsx';
import { sendForm } from './form.ts';
import { LEVELS, type Agent, type FieldError } from './model.ts';

const FIELDS = [
  { name: 'name', label: 'Name' },
  { name: 'title', label: 'Title' },
  { name: 'level', label: 'Level' },
  { name: 'department', label: 'Department' },
  { name: 'team', label: 'Team (optional)' },
  { name: 'manager', label: 'Manager (agent id, or ceo)' },
  { name: 'agentId', label: 'Agent id (optional: from the name)' },
  { name: 'monthlyBudgetUsd', label: 'Monthly model budget, USD (optional)' },
] as const;

/**
 * The hire form. The directory is the one validator: the form sends what was typed (no browser
 * validation first), and shows each field error of the API's 400 beside its field, so what the
 * console refuses is exactly what the API refuses.
 */
export function HireDialog({
  token,
  agents,
  onClose,
  onHired,
  onUnauthorised,
}: {
  readonly token: string;
  readonly agents: ReadonlyMap<string, Agent>;
  readonly onClose: () => void;
  readonly onHired: (agentId: string) => void;
  readonly onUnauthorised: () => void;
}) {
  const [errors, setErrors] = useState<readonly FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const errorFor = (field: string) => errors.filter((error) => error.field === field);
  const unplaced = errors.filter((error) => !FIELDS.some((f) => f.name === error.field));

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const body: Record<string, unknown> = {};
    for (const { name } of FIELDS) {
      const raw = data.get(name);
      const value = typeof raw === 'string' ? raw.trim() : '';
      if (value === '') continue;
      // A number field sends a number; anything else it is given goes as typed, for the API to judge.
      body[name] = name === 'monthlyBudgetUsd' && !Number.isNaN(Number(value)) ? Number(value) : value;
    }
    await sendForm(form, () => call(token, 'POST', '/v1/agents', body), {
      succeeded: 202,
      onSuccess: (answer) => {
        onHired(String(answer.body['agentId']));
      },
      setErrors,
      setBusy,
      onUnauthorised,
    });
  };

  return (
    <Dialog title="Hire an agent" onClose={onClose}>
      <form class="hire" noValidate onSubmit={(event) => void submit(event)}>
        {errors.length > 0 && (
          <div class="error-summary" role="alert">
            <p>The directory refused the hire:</p>
            <ul>
              {errors.map((error) => (
                <li key={error.message}>{error.message}</li>
              ))}
            </ul>
          </div>
        )}
        {FIELDS.map(({ name, label }) => {
          const own = errorFor(name);
          const describedBy = own.length > 0 ? `hire-${name}-error` : undefined;
          return (
            <div class="field" key={name}>
              <label for={`hire-${name}`}>{label}</label>
              {name === 'level' ? (
                <select
                  id={`hire-${name}`}
                  name={name}
                  aria-invalid={own.length > 0}
                  aria-describedby={describedBy}
                >
                  <option value="">Choose…</option>
                  {LEVELS.map((level) => (
                    <option key={level} value={level}>
                      {level}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  id={`hire-${name}`}
                  name={name}
                  type="text"
                  autocomplete="off"
                  list={name === 'manager' ? 'hire-managers' : undefined}
                  inputMode={name === 'monthlyBudgetUsd' ? 'decimal' : undefined}
                  aria-invalid={own.length > 0}
                  aria-describedby={describedBy}
                />
              )}
              {own.length > 0 && (
                <p id={describedBy} class="error" data-error-for={name}>
                  {own.map((error) => error.message).join(' ')}
                </p>
              )}
            </div>
          );
        })}
        <datalist id="hire-managers">
          <option value="ceo">The CEO</option>
          {[...agents.values()]
            .filter((agent) => agent.level !== 'ic' && agent.status !== 'retired')
            .slice(0, 500)
            .map((agent) => (
              <option key={agent.agentId} value={agent.agentId}>
                {agent.name}
              </option>
            ))}
        </datalist>
        {unplaced.length > 0 && <p class="error">{unplaced.map((e) => e.message).join(' ')}</p>}
        <div class="buttons">
          <button type="button" class="quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={busy}>
            Hire
          </button>
        </div>
      </form>
    </Dialog>
  );
}
