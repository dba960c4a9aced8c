// One engine for every stateful thing: states with `to:` lists, guards that return a reason, effects named beside the states.
import { HubError } from './errors.ts';

export interface Label {
  zh: string;
  en: string;
}

/** A guard returns null when the transition may happen, or the reason it may not. Pure: facts in, no I/O. */
export type Guard<C> = (ctx: C) => string | null;

export interface TransitionRule<S extends string, G extends string, E extends string> {
  to: S;
  /** Checked in order; the first reason refuses the transition. */
  guards?: readonly G[];
  /** Effects of this one transition (not of every way into the state): applied after the step is recorded. */
  effects?: readonly E[];
}

export interface StateDefinition<S extends string, G extends string, E extends string> {
  label: Label;
  terminal?: boolean;
  to: readonly TransitionRule<S, G, E>[];
  /** Effects of arriving in this state by any transition, applied before the step is recorded. */
  onEnter?: readonly E[];
  /** Effects of arriving in this state that need the step recorded first. */
  afterEnter?: readonly E[];
}

/**
 * A machine as data. Effects are only named here; the module that owns the thing implements them (a table keyed by
 * effect name, checked complete at boot), so the declaration stays pure and readable in one place.
 */
export interface MachineDefinition<S extends string, C, G extends string = string, E extends string = string> {
  /** Names the machine in errors and in the boot check: `order`, `shipment`. */
  name: string;
  /** How a message speaks of one thing of this kind: `an order`, `a shipment`. */
  noun: string;
  /** The states a new thing may be created in. */
  initial: readonly S[];
  states: Record<S, StateDefinition<S, G, E>>;
  guards: Record<G, Guard<C>>;
}

/** What the composition root validates at boot: any machine, whatever its states, context, guards and effects. */
export type AnyMachineDefinition = MachineDefinition<string, never, string, string>;

/** The effects of one step, in the order they apply around the step's own record (history, event). */
export interface StepEffects<E extends string> {
  before: E[];
  after: E[];
}

export interface Machine<S extends string, C, G extends string, E extends string> extends MachineDefinition<S, C, G, E> {
  /** The declared states, in declaration order. */
  readonly stateNames: readonly S[];
  isState(s: string): s is S;
  allowedTargets(from: S): S[];
  /** Every declared transition as [from, to]. */
  transitions(): [S, S][];
  /** One step: refuses an undeclared transition (TRANSITION_NOT_ALLOWED) or a failing guard (TRANSITION_GUARD_FAILED). */
  check(from: string, to: S, ctx: C): void;
  /** The declared chain from → to (each step checked), [] when from === to. */
  plan(from: S, to: S, ctx: C): S[];
  /** Refuses a new thing created in a state that is not initial. */
  start(state: string): void;
  /** The effects of a declared step (throws for an undeclared one: effects are only ever asked of a checked step). */
  effectsOf(from: S, to: S): StepEffects<E>;
}

export function defineMachine<S extends string, C, G extends string = never, E extends string = never>(def: MachineDefinition<S, C, G, E>): Machine<S, C, G, E> {
  const stateNames = Object.keys(def.states) as S[];
  const isState = (s: string): s is S => Object.hasOwn(def.states, s);
  return Object.freeze({
    ...def,
    stateNames,
    isState,
    allowedTargets: (from: S) => allowedTargets(def, from),
    transitions: () => stateNames.flatMap((from) => def.states[from].to.map((r) => [from, r.to] as [S, S])),
    check: (from: string, to: S, ctx: C) => check(def, from, to, ctx),
    plan: (from: S, to: S, ctx: C) => plan(def, from, to, ctx),
    start: (state: string) => {
      if (isState(state) && def.initial.includes(state)) return;
      throw new HubError('TRANSITION_NOT_ALLOWED', `${def.noun} cannot start in ${state} (it starts in: ${def.initial.join(', ')})`, {
        machine: def.name,
        to: state,
        allowed: [...def.initial],
      });
    },
    effectsOf: (from: S, to: S) => {
      const rule = isState(from) ? def.states[from].to.find((r) => r.to === to) : undefined;
      if (!rule) throw new Error(`${def.name} machine: effects asked of an undeclared step ${from} → ${to}`);
      const target = def.states[to];
      return { before: [...(target.onEnter ?? [])], after: [...(target.afterEnter ?? []), ...(rule.effects ?? [])] };
    },
  });
}

export function allowedTargets<S extends string, C, G extends string, E extends string>(def: MachineDefinition<S, C, G, E>, from: S): S[] {
  return (def.states[from]?.to ?? []).map((r) => r.to);
}

function refuseUnknownState(def: { name: string; noun: string }, from: string, to: string): never {
  throw new HubError('TRANSITION_NOT_ALLOWED', `${def.noun} is in state "${from}", which the ${def.name} machine does not declare`, {
    machine: def.name,
    from,
    to,
    allowed: [],
  });
}

export function check<S extends string, C, G extends string, E extends string>(def: MachineDefinition<S, C, G, E>, from: string, to: S, ctx: C): void {
  if (!Object.hasOwn(def.states, from)) refuseUnknownState(def, from, to);
  const state = def.states[from as S];
  const rule = state.to.find((r) => r.to === to);
  if (!rule) {
    const allowed = state.to.map((r) => r.to);
    throw new HubError(
      'TRANSITION_NOT_ALLOWED',
      `${def.noun} cannot go from ${from} to ${to}` + (allowed.length ? ` (allowed: ${allowed.join(', ')})` : ` (${from} is final)`),
      { machine: def.name, from, to, allowed },
    );
  }
  for (const g of rule.guards ?? []) {
    const reason = def.guards[g](ctx);
    if (reason) throw new HubError('TRANSITION_GUARD_FAILED', `${def.name} ${from} → ${to} refused: ${reason}`, { machine: def.name, from, to, guard: g, reason });
  }
}

/** Shortest chain of declared transitions from → to (ignoring guards), or null. [] when from === to. */
export function pathBetween<S extends string, C, G extends string, E extends string>(def: MachineDefinition<S, C, G, E>, from: S, to: S): S[] | null {
  if (from === to) return [];
  const prev = new Map<S, S>();
  const queue: S[] = [from];
  const seen = new Set<S>([from]);
  while (queue.length) {
    const cur = queue.shift() as S;
    // Unknown targets are reported by validateMachine; here they are simply dead ends.
    for (const rule of def.states[cur]?.to ?? []) {
      if (seen.has(rule.to)) continue;
      seen.add(rule.to);
      prev.set(rule.to, cur);
      if (rule.to === to) {
        const path: S[] = [to];
        let p = cur;
        while (p !== from) {
          path.unshift(p);
          p = prev.get(p) as S;
        }
        return path;
      }
      queue.push(rule.to);
    }
  }
  return null;
}

/**
 * How a reported state is reached. A reporter that skipped steps we never heard of is walked through the declared
 * chain, each step checked, so the record stays complete; one failing guard refuses the whole walk.
 */
export function plan<S extends string, C, G extends string, E extends string>(def: MachineDefinition<S, C, G, E>, from: S, to: S, ctx: C): S[] {
  if (from === to) return [];
  if (!Object.hasOwn(def.states, from)) refuseUnknownState(def, from, to);
  const path = pathBetween(def, from, to);
  if (!path) {
    throw new HubError('TRANSITION_NOT_ALLOWED', `${def.noun} cannot go from ${from} to ${to}`, { machine: def.name, from, to, allowed: allowedTargets(def, from) });
  }
  let cur = from;
  for (const step of path) {
    check(def, cur, step, ctx);
    cur = step;
  }
  return path;
}

/** Every effect name a machine declares, each with where it is declared (for the boot check's messages). */
export function declaredEffects<S extends string, C, G extends string, E extends string>(def: MachineDefinition<S, C, G, E>): Map<E, string[]> {
  const out = new Map<E, string[]>();
  const add = (e: E, where: string) => out.set(e, [...(out.get(e) ?? []), where]);
  for (const name of Object.keys(def.states) as S[]) {
    const s = def.states[name];
    for (const e of s.onEnter ?? []) add(e, `entering ${name}`);
    for (const e of s.afterEnter ?? []) add(e, `after entering ${name}`);
    for (const r of s.to) for (const e of r.effects ?? []) add(e, `${name} → ${r.to}`);
  }
  return out;
}

/**
 * The defects a machine can have: unknown targets or guards, duplicates, a state moving to itself, unlabelled states,
 * unreachable states, a non-terminal state with no way out, a terminal state with transitions, a state that can never
 * end, guards declared and never used. With `effects`, also effects named but not implemented and implementations
 * nothing names.
 */
export function validateMachine<S extends string, C, G extends string, E extends string>(
  def: MachineDefinition<S, C, G, E>,
  effects?: Readonly<Record<string, unknown>>,
): string[] {
  const problems: string[] = [];
  const names = Object.keys(def.states) as S[];
  if (def.initial.length === 0) problems.push('no initial state');
  for (const i of def.initial) if (!Object.hasOwn(def.states, i)) problems.push(`initial state "${i}" is not declared`);
  const usedGuards = new Set<string>();
  for (const name of names) {
    const state = def.states[name];
    if (!state.label?.zh?.trim() || !state.label?.en?.trim()) problems.push(`${name} needs a label in Chinese and English`);
    const seen = new Set<string>();
    for (const rule of state.to) {
      if (!Object.hasOwn(def.states, rule.to)) problems.push(`${name} → ${rule.to}: unknown target state`);
      if (rule.to === name) problems.push(`${name} → ${rule.to}: a state cannot move to itself`);
      if (seen.has(rule.to)) problems.push(`${name} → ${rule.to}: declared twice`);
      seen.add(rule.to);
      for (const g of rule.guards ?? []) {
        usedGuards.add(g);
        if (!Object.hasOwn(def.guards, g)) problems.push(`${name} → ${rule.to}: unknown guard "${g}"`);
      }
    }
    if (state.terminal && state.to.length > 0) problems.push(`${name} is terminal but has transitions`);
    if (!state.terminal && state.to.length === 0) problems.push(`${name} has no transitions and is not marked terminal`);
  }
  for (const g of Object.keys(def.guards)) if (!usedGuards.has(g)) problems.push(`guard "${g}" is declared but no transition uses it`);
  const starts = def.initial.filter((i) => Object.hasOwn(def.states, i));
  const reachable = new Set<string>(starts);
  const queue: S[] = [...starts];
  while (queue.length) {
    const s = def.states[queue.shift() as S];
    for (const rule of s?.to ?? []) {
      if (!reachable.has(rule.to)) {
        reachable.add(rule.to);
        queue.push(rule.to);
      }
    }
  }
  for (const name of names) if (!reachable.has(name)) problems.push(`${name} cannot be reached from ${def.initial.join(' or ')}`);
  const terminals = names.filter((n) => def.states[n].terminal);
  if (terminals.length === 0) problems.push('no terminal state');
  for (const name of names) {
    if (!terminals.some((t) => pathBetween(def, name, t) !== null)) problems.push(`${name} can never end`);
  }
  if (effects) {
    const declared = declaredEffects(def);
    for (const [e, where] of declared) if (!Object.hasOwn(effects, e)) problems.push(`effect "${e}" (${where.join(', ')}) has no implementation`);
    for (const e of Object.keys(effects)) if (!declared.has(e as E)) problems.push(`effect "${e}" is implemented but no state or transition names it`);
  }
  return problems;
}

/** A machine and the implementations of the effects it names, as the composition root checks them at boot. */
export interface MachineEntry {
  machine: AnyMachineDefinition;
  /** Null for a machine whose state changes carry no declared effects. */
  effects: Readonly<Record<string, unknown>> | null;
}

/** Every defect of every machine, each line naming its machine; [] when all are sound. Names must be unique too. */
export function validateMachines(entries: readonly MachineEntry[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { machine, effects } of entries) {
    if (seen.has(machine.name)) problems.push(`${machine.name}: two machines have this name`);
    seen.add(machine.name);
    for (const p of validateMachine(machine, effects ?? {})) problems.push(`${machine.name}: ${p}`);
  }
  return problems;
}

/** Throws when any machine is malformed; the hub refuses to start rather than run on a broken machine. */
export function assertValidMachines(entries: readonly MachineEntry[]): void {
  const problems = validateMachines(entries);
  if (problems.length) throw new Error(`state machines are invalid:\n- ${problems.join('\n- ')}`);
}
