import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { createRedactor, createStreamRedactor, HOLD_MAX, type Redactor } from '../../src/policy'

const EXTRA = 'correct horse battery staple'
const EXTRAS = [EXTRA, 'hunter2hunter2', 'short']
const redactor = createRedactor({ extraSecrets: EXTRAS })
const redact = (text: string) => redactor.redact(text)

const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
  '-----END RSA PRIVATE KEY-----',
].join('\n')

describe('redacts each kind of secret', () => {
  test.each([
    ['Anthropic', 'key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 end', 'key [redacted] end'],
    ['OpenAI', 'using sk-proj-abcdefghijklmnopqrstuvwxyz012345', 'using [redacted]'],
    ['OpenAI legacy', 'sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH', '[redacted]'],
    ['GitHub classic', 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok', 'token [redacted] ok'],
    ['GitHub OAuth', 'gho_abcdefghijklmnopqrstuvwxyz0123456789', '[redacted]'],
    ['GitHub app', 'ghs_abcdefghijklmnopqrstuvwxyz0123456789', '[redacted]'],
    ['GitHub fine-grained', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', '[redacted]'],
    ['Slack', 'slack xoxb-123456789012-abcdefghij', 'slack [redacted]'],
    ['AWS key id', 'id AKIAIOSFODNN7EXAMPLE,', 'id [redacted],'],
    ['AWS session key id', 'ASIAIOSFODNN7EXAMPLE', '[redacted]'],
    [
      'AWS secret',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'aws_secret_access_key = [redacted]',
    ],
    ['Google', 'AIzaSyA-abcdefghijklmnopqrstuvwxyz12345', '[redacted]'],
    ['Stripe', 'sk_live_abcdefghijklmnop1234 rk_live_abcdefghijklmnop1234', '[redacted] [redacted]'],
    ['npm', 'npm_abcdefghijklmnopqrstuvwxyz0123456789', '[redacted]'],
    [
      'JWT',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'jwt [redacted]',
    ],
    ['Authorization header', 'Authorization: Bearer abc.def-123', 'Authorization: Bearer [redacted]'],
    [
      'lowercase bearer',
      'curl -H "authorization: bearer abcdefgh12345678"',
      'curl -H "authorization: bearer [redacted]"',
    ],
    ['bare bearer', 'sent bearer 0123456789abcdef', 'sent bearer [redacted]'],
    ['password=', 'password=hunter2 next', 'password=[redacted] next'],
    ['password:', 'password: hunter2', 'password: [redacted]'],
    ['JSON', '{"password": "a b c", "user": "x"}', '{"password": "[redacted]", "user": "x"}'],
    ['escaped JSON', '{\\"token\\":\\"abc123\\"}', '{\\"token\\":\\"[redacted]\\"}'],
    ['api_key=', 'api_key=abc&x=1', 'api_key=[redacted]&x=1'],
    ['token=', 'MY_TOKEN=short', 'MY_TOKEN=[redacted]'],
    ['secret=', "client_secret='s3cr3t'", "client_secret='[redacted]'"],
    [
      'URL credentials',
      'postgres://user:pa55word@db.example.com/x',
      'postgres://user:[redacted]@db.example.com/x',
    ],
    ['exact value', 'the value is hunter2hunter2.', 'the value is [redacted].'],
    ['exact value with spaces', `said ${EXTRA}!`, 'said [redacted]!'],
  ])('%s', (_kind, input, expected) => {
    expect(redact(input)).toBe(expected)
  })

  test('a PEM private key block, body and all', () => {
    expect(redact(`before\n${PEM}\nafter`)).toBe(
      'before\n-----BEGIN RSA PRIVATE KEY-----\n[redacted]\n-----END RSA PRIVATE KEY-----\nafter',
    )
  })

  test('an indented PEM block keeps its indentation and line endings', () => {
    const indented = PEM.split('\n')
      .map((line) => `    ${line}`)
      .join('\r\n')
    expect(redact(indented)).toBe(
      '    -----BEGIN RSA PRIVATE KEY-----\r\n[redacted]\r\n    -----END RSA PRIVATE KEY-----',
    )
  })

  test('certificates and public keys are not secrets', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'
    expect(redact(cert)).toBe(cert)
  })
})

describe('leaves ordinary text alone', () => {
  test.each([
    'commit 3f786850e387550fdab836ed7e6dc881de23001b',
    'id 123e4567-e89b-12d3-a456-426614174000',
    'wrote /home/user/projects/SomeLongFileName2024.ts',
    'SomeVeryLongIdentifierWithNumbers123AndMixedCase',
    'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    'token: string; password?: string; if (password == null) x => token === y',
    'Token::new() and max_tokens=100 and the_secret_sauce',
    'Bearer authentication is used; a bearer token here',
    'a short value: short',
    'http://localhost:3000/path?x=1',
    'git@github.com:org/repo.git',
    'task-abcdefghijklmnopqrstuvwxyz0123 and risk-management-framework-2024-edition',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text
    'password=$DB_PASSWORD and token=${TOKEN}',
  ])('%s', (text) => {
    expect(redact(text)).toBe(text)
  })

  test('whitespace and indentation are preserved exactly', () => {
    const text = '\t  indented   line\twith  spaces  hunter2hunter2   and\ttabs  \n\n    password:   x  '
    expect(redact(text)).toBe(
      '\t  indented   line\twith  spaces  [redacted]   and\ttabs  \n\n    password:   [redacted]  ',
    )
  })

  test('is idempotent', () => {
    const once = redact('password=abc sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789')
    expect(redact(once)).toBe(once)
  })
})

/** Streams `text` cut at `cuts` and returns what came out. */
function streamed(r: Redactor, text: string, cuts: number[]): string {
  const stream = createStreamRedactor(r)
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b)
  let out = ''
  let from = 0
  for (const point of points) {
    out += stream.push(text.slice(from, point))
    from = point
  }
  return out + stream.push(text.slice(from)) + stream.end()
}

/** Pieces that make secrets, near-secrets and the text around them likely to meet at a cut. */
const PIECES = [
  'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx0123',
  'sk-',
  'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  'AKIAIOSFODNN7EXAMPLE',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc',
  'password',
  'password: ',
  'password=',
  '"password": "a b"',
  'token',
  '=',
  ':',
  '"',
  "'",
  'Authorization: Bearer ',
  'bearer ',
  'abc123def456',
  'https://user:pw@host/',
  'https://',
  EXTRA,
  'correct horse',
  'hunter2hunter2',
  'hunter2',
  PEM,
  '-----BEGIN RSA PRIVATE KEY-----\n',
  '-----END RSA PRIVATE KEY-----',
  '-----',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  'word',
  'Continue? [y/N] ',
  '[',
  ']',
  '!',
  '/path/to/file.ts',
  '3f786850e387550fdab836ed7e6dc881de23001b',
  'sk-',
  'sk_live_',
  'ghp_',
  'github_pat_',
  'xoxb-',
  'AKIA',
  'AIza',
  'npm_',
  'eyJ',
  '.',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'API_KEY',
  'Secret',
  'credentials',
  'passphrase',
  '\\"',
  '@',
  'Authorization',
]
const text = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })), { maxLength: 24 })
  .map((parts) => parts.join(''))

describe('the pre-scan', () => {
  test('never changes a result: the full rules on all text agree (property)', () => {
    const full = createRedactor({ extraSecrets: EXTRAS, fullScan: true })
    fc.assert(
      fc.property(text, (input) => {
        expect(redactor.redact(input)).toBe(full.redact(input))
        expect(redactor.safeLength(input)).toBe(full.safeLength(input))
      }),
      { numRuns: 5000 },
    )
  })
})

describe('stream redaction', () => {
  test('equals the one-shot redaction however the text is cut (property)', () => {
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (input, cuts) => {
        expect(streamed(redactor, input, cuts)).toBe(redactor.redact(input))
      }),
      { numRuns: 3000 },
    )
  })

  test('a secret split at every position is still redacted', () => {
    const input = `log: ${EXTRA} then sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx0123 and\n${PEM}\npassword: "x y z" done`
    const expected = redactor.redact(input)
    for (let cut = 0; cut <= input.length; cut++) {
      expect(streamed(redactor, input, [cut])).toBe(expected)
    }
  })

  test('emits at once what cannot start a secret', () => {
    const stream = createStreamRedactor(redactor)
    expect(stream.push('Continue? [y/N] ')).toBe('Continue? [y/N] ')
    expect(stream.push('building...\n')).toBe('building...\n')
    expect(stream.push('key sk-ab')).toBe('key ')
    expect(stream.push('cdefghijklmnopqrstuvwxyz0123 ')).toBe('[redacted] ')
  })

  test('holds an armed name until its value arrives, and flush() releases it', () => {
    const stream = createStreamRedactor(redactor)
    expect(stream.push('ok\nEnter password: ')).toBe('ok\nEnter ')
    expect(stream.flush()).toBe('password: ')
    expect(stream.end()).toBe('')
  })

  test('never holds more than HOLD_MAX outside a PEM block', () => {
    const stream = createStreamRedactor(redactor)
    const out = stream.push('x'.repeat(HOLD_MAX * 3))
    expect(out.length).toBe(HOLD_MAX * 2)
    expect(stream.end().length).toBe(HOLD_MAX)
  })

  test('a PEM block with no END is redacted up to 64 KiB, then output resumes', () => {
    const body = 'QUJD\n'.repeat(15_000)
    const input = `-----BEGIN PRIVATE KEY-----\n${body}tail`
    const expected = redactor.redact(input)
    const header = '-----BEGIN PRIVATE KEY-----\n[redacted]'
    expect(expected.startsWith(header)).toBe(true)
    expect(expected.length).toBe(input.length - 64 * 1024 + '[redacted]'.length)
    expect(expected.endsWith('tail')).toBe(true)
    const stream = createStreamRedactor(redactor)
    let out = ''
    for (let i = 0; i < input.length; i += 4096) out += stream.push(input.slice(i, i + 4096))
    expect(out + stream.end()).toBe(expected)
  })
})

describe('extra secrets', () => {
  test('values shorter than 8 characters are ignored', () => {
    expect(redact('a short word')).toBe('a short word')
  })

  test('a redactor with no extras still works', () => {
    expect(createRedactor().redact('password=x')).toBe('password=[redacted]')
  })
})
