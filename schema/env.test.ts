import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnvError, nameList, parseEnv, withoutEmpty } from './env.ts';

const Schema = z.object({
  NAMES: nameList(['direct', 'gateway']).optional(),
  COUNT: z.coerce.number().int().positive().default(3),
});

describe('parseEnv', () => {
  it('applies defaults to unset variables, and to empty ones where the entry point drops them', () => {
    expect(parseEnv(Schema, {})).toEqual({ COUNT: 3 });
    expect(() => parseEnv(Schema, { COUNT: '' })).toThrow(/^invalid environment:\nCOUNT: /);
    expect(parseEnv(Schema, withoutEmpty({ COUNT: '', NAMES: '', OTHER: undefined }))).toEqual({ COUNT: 3 });
  });

  it('parses set values, comma lists with spaces included', () => {
    expect(parseEnv(Schema, { COUNT: '7', NAMES: 'gateway, direct' })).toEqual({ COUNT: 7, NAMES: ['gateway', 'direct'] });
  });

  it('names every bad variable and what is wrong with it', () => {
    const error = (() => {
      try {
        parseEnv(Schema, { COUNT: 'many', NAMES: 'gateway,portkey' });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(EnvError);
    const message = (error as EnvError).message;
    expect(message).toMatch(/^invalid environment:/);
    expect(message).toMatch(/^NAMES\.1: unknown portkey \(use direct, gateway\)$/m);
    expect(message).toMatch(/^COUNT: /m);
  });

  it('refuses a list that names nothing', () => {
    expect(() => parseEnv(Schema, { NAMES: ' , ' })).toThrow(/NAMES: names nothing/);
  });
});
