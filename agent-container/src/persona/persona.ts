import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Level } from '@ocf/events';
import { CEO_ID, slug } from '@ocf/naming';
import type { Person } from '../org/people.ts';

/**
 * The agent's persona and working instructions, written into its OpenClaw workspace at every
 * start from three layers of templates (templates/): the company, the agent's level and its
 * department, filled with its place in today's org chart. OpenClaw injects these files into
 * every session's system prompt.
 *
 * A layer file has a `## Voice` section, which goes into SOUL.md (who the agent is), and the
 * rest, which goes into AGENTS.md (how it works).
 */

export const LEVELS: readonly Level[] = ['executive', 'vp', 'director', 'manager', 'ic'];

const LEVEL_LABELS: Record<Level, string> = {
  executive: 'executive staff',
  vp: 'vice president',
  director: 'director',
  manager: 'manager',
  ic: 'individual contributor',
};

/** Files the fleet owns in the workspace and rewrites at each start. Memory files are the agent's. */
export const MANAGED_FILES = ['AGENTS.md', 'SOUL.md', 'IDENTITY.md'] as const;
export type PersonaFiles = Record<(typeof MANAGED_FILES)[number], string>;

const MANAGED_NOTICE =
  '<!-- Written by Open-Claw-Fleet from the org chart at every start: edits here are lost. Keep notes in MEMORY.md or memory/. -->';

export interface Templates {
  readonly company: string;
  readonly chat: string;
  readonly soul: string;
  readonly levels: Readonly<Record<Level, string>>;
  /** By department slug; `_default` for departments without their own layer. */
  readonly departments: Readonly<Record<string, string>>;
}

export interface PersonaContext {
  readonly self: Person;
  readonly manager: Person | typeof CEO_ID | undefined;
  readonly reports: readonly Person[];
  /** The rest of the agent's team, without the agent. */
  readonly teammates: readonly Person[];
  /** From the manager upwards, below the CEO. */
  readonly chain: readonly Person[];
  readonly matrixUserId: (person: Person) => string;
}

export async function loadTemplates(dir: string): Promise<Templates> {
  const read = (...path: string[]) => readFile(join(dir, ...path), 'utf8');
  const levels = Object.fromEntries(
    await Promise.all(LEVELS.map(async (level) => [level, await read('levels', `${level}.md`)] as const)),
  ) as Record<Level, string>;
  const departmentFiles = (await readdir(join(dir, 'departments'))).filter((f) => f.endsWith('.md'));
  const departments = Object.fromEntries(
    await Promise.all(
      departmentFiles.map(async (file) => [basename(file, '.md'), await read('departments', file)] as const),
    ),
  );
  if (departments['_default'] === undefined) throw new Error(`${dir}/departments/_default.md is missing`);
  return {
    company: await read('company.md'),
    chat: await read('chat.md'),
    soul: await read('soul.md'),
    levels,
    departments,
  };
}

export function renderPersona(templates: Templates, context: PersonaContext): PersonaFiles {
  const { self } = context;
  const values = {
    name: self.name,
    title: self.title,
    department: self.department,
    team: self.team ?? '',
    level: LEVEL_LABELS[self.level],
  };
  const level = splitLayer(templates.levels[self.level], `levels/${self.level}.md`);
  const departmentFile =
    templates.departments[slug(self.department)] ?? templates.departments['_default'] ?? '';
  const department = splitLayer(departmentFile, `departments for ${self.department}`);

  const soul = fill(templates.soul, {
    ...values,
    levelVoice: fill(level.voice, values),
    departmentVoice: fill(department.voice, values),
  });
  const agents = [
    `# How ${self.name} works`,
    placeInTheOrg(context),
    fill(templates.company, values),
    fill(level.body, values),
    fill(department.body, values),
    fill(templates.chat, values),
  ].join('\n\n');

  return {
    'AGENTS.md': withNotice(agents),
    'SOUL.md': withNotice(soul),
    'IDENTITY.md': withNotice(identity(context)),
  };
}

function placeInTheOrg(context: PersonaContext): string {
  const { self, manager, reports, teammates, chain } = context;
  const who = (p: Person) => `${p.name}, ${p.title} (${context.matrixUserId(p)})`;
  const lines = [
    '## Your place in the org',
    '',
    `- You: ${self.name}, ${self.title}, ${LEVEL_LABELS[self.level]} in ${self.department}` +
      (self.team === undefined ? '' : `, ${self.team} team`) +
      `. Your Matrix id is ${context.matrixUserId(self)}.`,
    `- Your manager: ${
      manager === CEO_ID ? 'the CEO (a human)' : manager === undefined ? 'not in the directory' : who(manager)
    }.`,
  ];
  lines.push(
    reports.length === 0
      ? '- Direct reports: none.'
      : `- Direct reports (${reports.length}):\n${reports.map((r) => `  - ${who(r)}`).join('\n')}`,
  );
  if (self.team !== undefined) {
    lines.push(
      teammates.length === 0
        ? `- Your team (${self.team}): just you so far.`
        : `- Your team (${self.team}):\n${teammates.map((t) => `  - ${who(t)}`).join('\n')}`,
    );
  }
  const up = [...chain.map((p) => `${p.name} (${p.title})`), 'the CEO'];
  lines.push(`- Chain of command: ${up.join(' → ')}.`);
  lines.push('', 'This is the org chart as it was when you started; the people directory has the latest.');
  return lines.join('\n');
}

function identity(context: PersonaContext): string {
  const { self } = context;
  return [
    '# IDENTITY.md',
    '',
    `- Name: ${self.name}`,
    `- Title: ${self.title}`,
    `- Level: ${LEVEL_LABELS[self.level]}`,
    `- Department: ${self.department}`,
    ...(self.team === undefined ? [] : [`- Team: ${self.team}`]),
    `- Agent id: ${self.agentId}`,
    `- Matrix id: ${context.matrixUserId(self)}`,
    '- Creature: an AI agent employed by the company',
  ].join('\n');
}

function withNotice(text: string): string {
  return `${MANAGED_NOTICE}\n\n${text.trim()}\n`;
}

/** Splits a layer into its `## Voice` section and everything else. */
export function splitLayer(text: string, name: string): { voice: string; body: string } {
  const match = /^## Voice\n([\s\S]*?)(?=^## )/m.exec(text);
  if (match === null || match[1] === undefined) throw new Error(`template ${name} has no "## Voice" section`);
  return { voice: match[1].trim(), body: text.replace(match[0], '').trim() };
}

/** Replaces `{{key}}`; a key the template uses but nobody provides is a bug, not an empty string. */
export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template placeholder {{${key}}} has no value`);
    return value;
  });
}
