import { ValidationError } from '@ocf/errors';
import { validateEventData } from '@ocf/events';
import { agentIdFromName, type HireRequest } from '../domain/agent.ts';

export interface HireBody {
  agentId?: string;
  name: string;
  title: string;
  level: HireRequest['level'];
  department: string;
  team?: string;
  manager: string;
  roleTemplate?: string;
  model?: string;
  skills?: string[];
}

/**
 * Turns a REST hire body into a hire request, checked against the very schema the AgentHired
 * event uses, so nothing the API accepts can fail to publish. Errors name the body's field.
 */
export function toHireRequest(body: HireBody, path = 'body'): HireRequest {
  const agentId = body.agentId ?? agentIdFromName(body.name);
  const data = {
    agentId,
    name: body.name,
    title: body.title,
    level: body.level,
    department: body.department,
    managerId: body.manager,
    ...(body.team === undefined ? {} : { team: body.team }),
    ...(body.roleTemplate === undefined ? {} : { roleTemplate: body.roleTemplate }),
    ...(body.model === undefined ? {} : { model: body.model }),
    ...(body.skills === undefined ? {} : { skills: body.skills }),
  };
  const result = validateEventData('AgentHired', data);
  if (!result.ok) {
    const field = /^data\.(\w+)/.exec(result.message)?.[1];
    const restField = field === 'managerId' ? 'manager' : field;
    const hint =
      field === 'agentId' && body.agentId === undefined
        ? ` (derived from the name "${body.name}"; give an agentId)`
        : '';
    throw new ValidationError(
      `${result.message.replaceAll('data.managerId', `${path}.manager`).replaceAll('data.', `${path}.`)}${hint}`,
      {
        ...(restField === undefined ? {} : { field: `${path}.${restField}` }),
      },
    );
  }
  return result.data;
}

/** Org-rule errors name domain fields (`managerId`); the API's callers know them as body fields. */
export async function withRestFields<T>(action: () => Promise<T>, path = 'body'): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ValidationError && error.field !== undefined && !error.field.includes('.')) {
      const field = error.field === 'managerId' ? 'manager' : error.field;
      throw new ValidationError(error.message, { field: `${path}.${field}`, code: error.code, cause: error });
    }
    throw error;
  }
}
