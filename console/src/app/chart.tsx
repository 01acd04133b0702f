import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Row } from './model.ts';

/** Every row is this tall (CSS --row-height): what makes the list cheap to virtualise. */
const ROW_HEIGHT = 40;
/** Rows rendered above and below the visible ones, so fast scrolling shows no gaps. */
const OVERSCAN = 12;

export interface ChartProps {
  readonly rows: readonly Row[];
  readonly selected: string | undefined;
  readonly onSelect: (agentId: string) => void;
  readonly onToggle: (agentId: string, open?: boolean) => void;
  readonly expandAll: (agentIds: readonly string[]) => void;
}

/**
 * The org chart as a tree view (WAI-ARIA tree pattern). Only the rows in sight are in the DOM:
 * the list is as tall as all of them, and a window of rows is drawn where the scroll position is.
 * Keyboard: Up/Down move, Right opens or goes to the first report, Left closes or goes to the
 * manager, Home/End, Enter or Space shows the card, `*` opens every sibling. The tree holds the
 * focus and points at the active row with aria-activedescendant, so a row scrolled out of the DOM
 * never takes the focus with it.
 */
export function Chart({ rows, selected, onSelect, onToggle, expandAll }: ChartProps) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [active, setActive] = useState(0);

  useLayoutEffect(() => {
    const element = viewport.current;
    if (element === null) return;
    const observer = new ResizeObserver(() => {
      setHeight(element.clientHeight);
    });
    observer.observe(element);
    setHeight(element.clientHeight);
    return () => {
      observer.disconnect();
    };
    // The list is not in the DOM while nothing matches; observe it again when it comes back.
  }, [rows.length === 0]);

  // The active row follows a new selection (a card opened from elsewhere), once its row is there
  // (a reveal opens the way down to it first); opening or closing rows keeps it where it is.
  const following = useRef<string | undefined>(undefined);
  useEffect(() => {
    following.current = selected;
  }, [selected]);
  useEffect(() => {
    const target = following.current;
    const index = target === undefined ? -1 : rows.findIndex((row) => row.agent.agentId === target);
    if (index >= 0) {
      following.current = undefined;
      setActive(index);
      scrollIntoView(index);
    } else if (active >= rows.length) setActive(Math.max(0, rows.length - 1));
  }, [selected, rows]);

  function scrollIntoView(index: number) {
    const element = viewport.current;
    if (element === null) return;
    const top = index * ROW_HEIGHT;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + ROW_HEIGHT > element.scrollTop + element.clientHeight)
      element.scrollTop = top + ROW_HEIGHT - element.clientHeight;
  }

  function move(index: number) {
    const next = Math.max(0, Math.min(rows.length - 1, index));
    setActive(next);
    scrollIntoView(next);
  }

  function onKeyDown(event: KeyboardEvent) {
    const row = rows[active];
    if (row === undefined) return;
    const id = row.agent.agentId;
    switch (event.key) {
      case 'ArrowDown':
        move(active + 1);
        break;
      case 'ArrowUp':
        move(active - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
        break;
      case 'PageDown':
        move(active + Math.floor(height / ROW_HEIGHT));
        break;
      case 'PageUp':
        move(active - Math.floor(height / ROW_HEIGHT));
        break;
      case 'ArrowRight':
        if (row.hasReports && !row.expanded) onToggle(id, true);
        else if (row.expanded && rows[active + 1]?.depth === row.depth + 1) move(active + 1);
        break;
      case 'ArrowLeft':
        if (row.expanded) onToggle(id, false);
        else {
          // To the manager: the nearest row above with a smaller depth.
          for (let i = active - 1; i >= 0; i--) {
            if ((rows[i]?.depth ?? 0) < row.depth) {
              move(i);
              break;
            }
          }
        }
        break;
      case 'Enter':
      case ' ':
        onSelect(id);
        break;
      case '*':
        expandAll(rows.filter((r) => r.depth === row.depth && r.hasReports).map((r) => r.agent.agentId));
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const activeRow = rows[active];

  if (rows.length === 0) return <p class="hint">No agent matches.</p>;
  return (
    <div
      ref={viewport}
      class="chart"
      role="tree"
      aria-label="Org chart, from the CEO down"
      tabIndex={0}
      aria-activedescendant={activeRow === undefined ? undefined : rowId(activeRow.agent.agentId)}
      onKeyDown={onKeyDown}
      onScroll={(event) => {
        setScrollTop(event.currentTarget.scrollTop);
      }}
    >
      <div class="chart-body" style={{ height: `${rows.length * ROW_HEIGHT}px` }}>
        {rows.slice(first, last).map((row, offset) => {
          const index = first + offset;
          const { agent } = row;
          return (
            <div
              key={agent.agentId}
              id={rowId(agent.agentId)}
              role="treeitem"
              aria-level={row.depth}
              aria-expanded={row.hasReports ? row.expanded : undefined}
              aria-selected={agent.agentId === selected}
              data-agent={agent.agentId}
              data-status={agent.status}
              class={`row${index === active ? ' active' : ''}${agent.agentId === selected ? ' selected' : ''}${row.match ? ' match' : ''}`}
              style={{ top: `${index * ROW_HEIGHT}px`, paddingLeft: `${(row.depth - 1) * 20 + 8}px` }}
              onClick={() => {
                setActive(index);
                onSelect(agent.agentId);
              }}
            >
              {row.hasReports ? (
                <span
                  class="twisty"
                  aria-hidden="true"
                  onClick={(event) => {
                    event.stopPropagation();
                    setActive(index);
                    onToggle(agent.agentId);
                  }}
                >
                  {row.expanded ? '▾' : '▸'}
                </span>
              ) : (
                <span class="twisty" aria-hidden="true" />
              )}
              <span class="name">{agent.name}</span>
              <span class="title">{agent.title}</span>
              <span class="where">
                {agent.department}
                {agent.team === undefined ? '' : ` · ${agent.team}`}
              </span>
              <span class={`badge status-${agent.status}`}>{agent.status}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

function rowId(agentId: string): string {
  return `agent-row-${agentId}`;
}
