import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/config.ts';
import { main } from '../../src/cli/main.ts';
import { openMetastore } from '../../src/metastore/open-metastore.ts';
import { formatError } from '../../src/cli/exit-codes.ts';
import { InvalidArgumentError, MetastoreError } from '../../src/errors.ts';
import { redact, redactError } from '../../src/util/redact.ts';

describe('redact', () => {
  it.each([
    ['postgres://u:secret@db:5432/x', 'postgres://u:***@db:5432/x'],
    ['postgres://u:p%40ss%2Fw@db/x', 'postgres://u:***@db/x'],
    ['postgres://u:se/cret@db/x', 'postgres://***@db/x'],
    ['postgres://u:se@cr:et@db/x', 'postgres://u:***@db/x'],
    ['postgres://u@db/x', 'postgres://u@db/x'],
    ['postgres://db/x?user=u&password=secret&sslmode=require', 'postgres://db/x?user=u&password=***&sslmode=require'],
    ['postgresql://db/x?sslpassword=secret', 'postgresql://db/x?sslpassword=***'],
    ['postgres://db/x?pass=secret', 'postgres://db/x?pass=***'],
    ['host=db user=u password=secret dbname=x', 'host=db user=u password=*** dbname=x'],
    ["host=db password='se cret' dbname=x", 'host=db password=*** dbname=x'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
    expect(redact(input)).not.toMatch(/secret|se\/cret|cr:et|p%40ss/);
  });

  it('finds URLs inside messages', () => {
    expect(redact('connect to "postgres://u:secret@db/x" failed: timeout')).toBe('connect to "postgres://u:***@db/x" failed: timeout');
  });

  it('leaves text without secrets as it is', () => {
    const text = 'column "password_hash" of table t is VARCHAR; see https://example.com/a?b=c';
    expect(redact(text)).toBe(text);
  });
});

describe('secrets never reach messages', () => {
  it('config errors', () => {
    const error = (() => {
      try {
        resolveConfig({ metastore: 'mysql://u:se/cr@t@db/x?password=two' });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error!.message).not.toMatch(/se\/cr|two/);
  });

  it('Tidemark errors and their causes, and the CLI rendering', () => {
    const driver = Object.assign(new Error('could not connect to postgres://u:secret@db/x'), { code: 'ECONNREFUSED' });
    const error = new MetastoreError(`opening the metastore at postgres://u:secret@db/x failed: ${driver.message}`, { cause: driver });
    expect(error.message).not.toContain('secret');
    expect((error.cause as Error).message).toBe('could not connect to postgres://u:***@db/x');
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
    expect(formatError(error, true)).not.toContain('secret');
    expect(formatError(new Error('raw postgres://u:secret@db/x?sslpassword=s2'), true)).not.toMatch(/secret|s2/);
    expect(redactError(new Error('nothing here'))).toBeInstanceOf(Error);
  });

  it.each([
    'postgres://tidemark:se/cr@t@127.0.0.1:1/nowhere',
    'postgres://tidemark@127.0.0.1:1/nowhere?password=se/cr@t&sslmode=disable',
  ])('a metastore that cannot be reached: %s', async (url) => {
    const error = await openMetastore(resolveConfig({ metastore: url }, {})).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MetastoreError);
    expect(formatError(error, true)).not.toMatch(/se\/cr|cr@t/);
    let err = '';
    const code = await main(['tables', '--metastore', url], { stdout: () => undefined, stderr: (s) => void (err += s) });
    expect(code).not.toBe(0);
    expect(err).toMatch(/metastore/);
    expect(err).not.toMatch(/se\/cr|cr@t/);
  });
});
