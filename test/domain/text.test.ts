// The one rule for text the hub stores and hashes: what is hashed must be exactly what either database keeps.
import { describe, expect, it } from 'vitest';
import { storableText, storableValue, textProblem } from '../../src/kernel/text.ts';

const HIGH = '\ud800';
const LOW = '\udc00';
const PAIR = '\ud83d\udce6'; // 📦, a valid surrogate pair

describe('text the hub can store', () => {
  it('names what is wrong with a string, or nothing', () => {
    expect(textProblem('张三 📦')).toBeNull();
    expect(textProblem('')).toBeNull();
    expect(textProblem('a\u0000b')).toBe('nul');
    expect(textProblem(`mallory${HIGH}`)).toBe('lone_surrogate');
    expect(textProblem(`${LOW}x`)).toBe('lone_surrogate');
    expect(textProblem(PAIR)).toBeNull();
  });

  it('removes NUL and writes each lone surrogate as U+FFFD, as the drivers would', () => {
    expect(storableText('a\u0000b\u0000')).toBe('ab');
    expect(storableText(`mallory${HIGH}`)).toBe('mallory\ufffd');
    expect(storableText(`${LOW}x`)).toBe('\ufffdx');
    // A low before a high is two lone halves, not a pair.
    expect(storableText(`${LOW}${HIGH}`)).toBe('\ufffd\ufffd');
    expect(storableText(`\u0000${HIGH}`)).toBe('\ufffd');
  });

  it('keeps valid surrogate pairs', () => {
    expect(storableText(`箱${PAIR}`)).toBe(`箱${PAIR}`);
    // A pair split by a NUL becomes whole again once the NUL is gone: still valid text, kept.
    expect(storableText(`\ud83d\u0000\udce6`)).toBe(PAIR);
    expect(storableText(`${PAIR}${HIGH}`)).toBe(`${PAIR}\ufffd`);
  });

  it('is what UTF-8 makes of the string, so SQLite and PostgreSQL keep exactly this', () => {
    for (const s of [`mallory${HIGH}`, `${LOW}${PAIR}${HIGH}`, `x${HIGH}${HIGH}y`]) {
      expect(storableText(s)).toBe(Buffer.from(s, 'utf8').toString('utf8'));
    }
  });

  it('cleans every string of a nested value, object keys included', () => {
    const v = {
      [`k${HIGH}`]: `v\u0000${LOW}`,
      list: ['ok', `bad${HIGH}`, { deep: [`x\u0000`] }],
      n: 3,
      t: true,
      nil: null,
    };
    expect(storableValue(v)).toEqual({
      'k\ufffd': 'v\ufffd',
      list: ['ok', 'bad\ufffd', { deep: ['x'] }],
      n: 3,
      t: true,
      nil: null,
    });
    // The input itself is left alone.
    expect(v.list[1]).toBe(`bad${HIGH}`);
    expect(storableValue(`a${HIGH}`)).toBe('a\ufffd');
  });

  it('returns the very same value when nothing needed changing', () => {
    const v = { a: '张三', b: [1, 'two', { c: PAIR }], d: null };
    expect(storableValue(v)).toBe(v);
    expect(storableValue(v.b)).toBe(v.b);
    const bytes = Buffer.from([0, 1, 2]);
    expect(storableValue({ bytes }).bytes).toBe(bytes);
    // Only the branch that changed is copied; the rest is shared.
    const mixed = { clean: { x: 'y' }, dirty: { x: `y${HIGH}` } };
    const out = storableValue(mixed);
    expect(out).not.toBe(mixed);
    expect(out.clean).toBe(mixed.clean);
    expect(out.dirty).toEqual({ x: 'y\ufffd' });
  });

  it('refuses a value nested too deep to be data', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(() => storableValue(deep)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
