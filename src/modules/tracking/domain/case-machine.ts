// The after-sales case (售后工单) machine: opened by a complaint (today only "not received"), closed once dealt with.
import { defineMachine } from '../../../kernel/machine.ts';

export const caseStates = ['open', 'closed'] as const;
export type CaseState = (typeof caseStates)[number];

/**
 * Two states, as the table allows (011: CHECK state IN ('open', 'closed')). Nothing in the hub closes a case yet: the
 * transition is declared so that the first code to close one goes through the machine. A second complaint about the
 * same parcel raises the open case's priority; that is not a change of state.
 */
export const caseMachine = defineMachine<CaseState, Record<never, never>>({
  name: 'aftersale_case',
  noun: 'an after-sales case',
  initial: ['open'],
  guards: {},
  states: {
    open: { label: { zh: '处理中', en: 'Open' }, to: [{ to: 'closed' }] },
    closed: { label: { zh: '已关闭', en: 'Closed' }, terminal: true, to: [] },
  },
});
