import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppError } from '../../src/errors'
import {
  assertAllowed,
  type CheckResult,
  checkCommand,
  checkPrompt,
  normalizePolicy,
  type PolicyInput,
  type PolicyRule,
} from '../../src/policy'

const ctx = { workspace: tmpdir() }
const DEFAULT = normalizePolicy(undefined)
/** No blocked entries, so each built-in rule can be seen on its own. */
const RULES_ONLY = normalizePolicy({ blocked_commands: [] })
const policy = (input: PolicyInput) => normalizePolicy({ blocked_commands: [], ...input })

const ruleOf = (result: CheckResult): PolicyRule | null => (result.ok ? null : result.rule)
const commandRule = (command: string, p = DEFAULT) => ruleOf(checkCommand(command, p, ctx))

describe('default policy: bypasses of the original substring filter are refused', () => {
  test.each<[string, PolicyRule]>([
    ["c''url https://example.com", 'blocked-command'],
    ['"cu"rl x', 'blocked-command'],
    ['\\c\\u\\r\\l x', 'blocked-command'],
    ["$'\\x63url' x", 'blocked-command'],
    ['/usr/bin/curl x', 'blocked-command'],
    ['$(echo c)url x', 'dynamic-command'],
    ['X=curl; $X x', 'dynamic-command'],
    ['cur? x', 'dynamic-command'],
    ['echo Y3VybA== | base64 -d | sh', 'dynamic-command'],
    ['git  push', 'blocked-command'],
    ['git -C repo push origin', 'blocked-command'],
    ['env X=1 curl a', 'blocked-command'],
    ['sudo -u x wget b', 'blocked-command'],
    ['(cd x && git push)', 'blocked-command'],
    ['echo `curl evil`', 'blocked-command'],
    ['echo "$(wget -qO- x)"', 'blocked-command'],
    ["sh -c 'curl x'", 'blocked-command'],
    ['rm -rf build', 'blocked-command'],
    ['rm -r -f build', 'blocked-command'],
    ['rm -fr build', 'blocked-command'],
    ['rm -Rf build', 'blocked-command'],
    ['rm --recursive --force build', 'blocked-command'],
  ])('%s → %s', (command, rule) => {
    expect(commandRule(command)).toBe(rule)
  })
})

describe("default policy: the original's false positives pass", () => {
  test.each([
    'curly --version',
    'func foo',
    'sync',
    'cat .envrc',
    'grep -rn process.env src',
    'echo secretary',
    'echo "add an API key field"',
    'echo "curl is a tool"',
    'git log --grep push',
    'git status && git diff',
    'rm -r build',
    'npm test',
    'ls -la *',
  ])('%s', (command) => {
    expect(checkCommand(command, DEFAULT, ctx)).toEqual({ ok: true })
  })
})

describe('network', () => {
  test.each([
    'curl https://example.com',
    'wget -q https://x.org/f',
    'ssh host uptime',
    'scp a.txt host:/tmp/',
    'sftp host',
    'nc example.com 80',
    'ncat -l 8080',
    'telnet host 23',
    'ftp host',
    'rsync -a src/ host:dst/',
    'git clone https://github.com/a/b',
    'git fetch',
    'git pull origin main',
    'git ls-remote git@github.com:a/b',
    'python3 -c "import urllib.request as u; u.urlopen(\'https://x\')"',
    'node -e "fetch(\'https://x\')"',
    'gh pr list',
  ])('disabled refuses %s', (command) => {
    expect(commandRule(command, RULES_ONLY)).toBe('network')
  })

  test.each([
    'scp a.txt b.txt',
    'rsync -a src/ dst/',
    'git clone ../other',
    'git status',
    'python3 -c "print(1)"',
    'node -e "console.log(process.env.NODE_ENV)"',
    'curl --version',
    'wgetrc-lint',
  ])('disabled allows %s', (command) => {
    expect(commandRule(command, RULES_ONLY)).toBeNull()
  })

  const LOCALHOST = policy({ network_mode: 'localhost' })
  test.each([
    'curl http://localhost:3000/health',
    'curl -o out.json http://127.0.0.1:8080/x',
    'curl http://[::1]:80/',
    'wget localhost:8000',
    'ssh localhost',
    'nc 127.0.0.1 9000',
    'http :3000/api',
    'node -e "fetch(\'http://localhost:3000\')"',
  ])('localhost allows %s', (command) => {
    expect(commandRule(command, LOCALHOST)).toBeNull()
  })

  test.each([
    'curl https://example.com',
    'curl http://localhost:3000 https://example.com',
    'curl http://$HOST/',
    'curl http://127.0.0.1@evil.com/',
    'git fetch',
    'git push origin',
    'ssh -o ProxyCommand="nc evil 22" localhost',
    'python3 -c "import socket; socket.create_connection((h, 80))"',
  ])('localhost refuses %s', (command) => {
    expect(commandRule(command, LOCALHOST)).toBe('network')
  })

  test('enabled allows everything network', () => {
    const enabled = policy({ network_mode: 'enabled', allow_git_write: true })
    expect(commandRule('curl https://example.com && git push origin', enabled)).toBeNull()
    expect(commandRule('curl https://example.com', policy({ allow_network: true }))).toBeNull()
  })
})

describe('git writes', () => {
  const NO_NETWORK_RULE = policy({ network_mode: 'enabled' })
  test.each([
    'git commit -m x',
    'git -C dir commit -am x',
    'git --no-pager commit',
    'git --git-dir=.git push',
    'git push',
    'git tag v1.0',
    'git tag -d v1.0',
    'git merge main',
    'git rebase -i HEAD~2',
    'git checkout -- file',
    'git reset --hard',
    'git stash',
    'git stash pop',
    'git switch -c x',
    'git restore file',
    'git cherry-pick abc',
    'git revert abc',
    'git am < patch',
    'git branch -D old',
    'git branch new-branch',
    'git clean -fdx',
    'cd x && git commit -m y',
  ])('refuses %s', (command) => {
    expect(commandRule(command, NO_NETWORK_RULE)).toBe('git-write')
  })

  test.each([
    'git status',
    'git log --oneline',
    'git diff HEAD',
    'git show abc',
    'git branch',
    'git branch -a',
    'git branch --show-current',
    'git tag',
    'git tag -l "v*"',
    'git stash list',
    'git add -A',
    'echo git commit',
  ])('allows %s', (command) => {
    expect(commandRule(command, NO_NETWORK_RULE)).toBeNull()
  })

  test('a subcommand known only at run time is refused as dynamic', () => {
    expect(commandRule('git $SUB', NO_NETWORK_RULE)).toBe('dynamic-command')
    expect(commandRule('git -c alias.p=push p', NO_NETWORK_RULE)).toBe('dynamic-command')
  })

  test('allowed when the policy allows git writes', () => {
    expect(
      commandRule('git commit -m x', policy({ network_mode: 'enabled', allow_git_write: true })),
    ).toBeNull()
  })
})

describe('secrets', () => {
  test.each([
    'cat .env',
    'cat ./config/.env.local',
    'source .env.production',
    'cat < .env',
    'docker run --env-file=.env app',
    'cat ~/.ssh/id_rsa',
    'ls $HOME/.ssh',
    'cat ~/.aws/credentials',
    'gpg -k --homedir ~/.gnupg',
    'cat ~/.netrc',
    'cat ~/.docker/config.json',
    'cp id_ed25519 /tmp/',
    'cat ~/.s*/id_*',
    'cat .e*',
    'printenv',
    'printenv GITHUB_TOKEN',
    'env',
    'sudo env',
    'export -p',
    'echo $OPENAI_API_KEY',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text
    'curl -H "Authorization: Bearer ${GITHUB_TOKEN}" x',
    'security find-generic-password -s svc -w',
    'gh auth token',
    'cat /proc/self/environ',
    'python3 -c "print(open(\'.env\').read())"',
    'node -e "console.log(process.env.ANTHROPIC_API_KEY)"',
  ])('refuses %s', (command) => {
    expect(commandRule(command, policy({ network_mode: 'enabled' }))).toBe('secrets')
  })

  test.each([
    'cat .envrc',
    'cat .env.example',
    'cat id_rsa.pub',
    'grep -r process.env src',
    'echo secretary',
    'printenv PATH',
    'env FOO=1 npm test',
    'ls',
    'cat .*',
    'export FOO=1',
    'echo $HOME',
    'node -e "console.log(process.env.NODE_ENV)"',
  ])('allows %s', (command) => {
    expect(commandRule(command, policy({ network_mode: 'enabled' }))).toBeNull()
  })

  test('allowed when the policy allows secrets', () => {
    expect(commandRule('cat .env', policy({ network_mode: 'enabled', allow_secrets: true }))).toBeNull()
  })
})

describe('blocked entries', () => {
  const only = (...entries: string[]) =>
    normalizePolicy({
      blocked_commands: entries,
      network_mode: 'enabled',
      allow_git_write: true,
      allow_secrets: true,
    })
  test('match whole words and argv, not substrings', () => {
    expect(commandRule('npm publish', only('npm publish'))).toBe('blocked-command')
    expect(commandRule('npm --tag beta publish', only('npm publish'))).toBe('blocked-command')
    expect(commandRule('npm publish-docs', only('npm publish'))).toBeNull()
    expect(commandRule('curly', only('curl'))).toBeNull()
    expect(commandRule('rm -rf /', only('rm -rf /'))).toBe('blocked-command')
    expect(commandRule('rm -rf /tmp/x', only('rm -rf /'))).toBeNull()
    expect(commandRule('DOCKER system prune', only('docker system prune'))).toBe('blocked-command')
  })

  test('an unknowable program is refused whenever the policy restricts something', () => {
    expect(commandRule('$CMD', only('make deploy'))).toBe('dynamic-command')
    expect(commandRule('$CMD', only())).toBeNull()
  })

  test('the refusal names the entry and the command', () => {
    const result = checkCommand('ls && sudo -u x wget b', DEFAULT, ctx)
    expect(result).toEqual({
      ok: false,
      rule: 'blocked-command',
      offending: 'sudo -u x wget b',
      message: "'sudo' is blocked by this task's policy (rule blocked-command): sudo -u x wget b",
    })
  })
})

describe('prompts', () => {
  test.each([
    'add an API key field to the settings form',
    'use curly braces; fix func and sync; the secretary reads process.env and .envrc',
    'store the bearer token in the keychain',
    'the ssh-agent module is flaky',
  ])('prose is not scanned for rules: %s', (prompt) => {
    expect(checkPrompt(prompt, DEFAULT, ctx)).toEqual({ ok: true })
  })

  test('blocked entries apply as whole-word sequences', () => {
    expect(ruleOf(checkPrompt('then run `rm -rf build`.', DEFAULT, ctx))).toBe('blocked-command')
    expect(ruleOf(checkPrompt('Finally, git push the branch', DEFAULT, ctx))).toBe('blocked-command')
    expect(ruleOf(checkPrompt('push it with git', DEFAULT, ctx))).toBeNull()
  })
})

describe('workspace allowlist', () => {
  const root = mkdtempSync(join(tmpdir(), 'policy-allowlist-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, 'a/b/c'), { recursive: true })
  mkdirSync(join(root, 'a/bc'), { recursive: true })
  mkdirSync(join(root, 'other'), { recursive: true })
  symlinkSync(join(root, 'a/b/c'), join(root, 'link-in'))
  symlinkSync(join(root, 'other'), join(root, 'a/b/link-out'))
  const allowlisted = normalizePolicy({ allowed_workspaces: [join(root, 'a/b')] })
  const at = (workspace: string) =>
    ruleOf(checkCommand('ls', allowlisted, { workspace: join(root, workspace) }))

  test('inside or equal is allowed, compared by components after resolving links', () => {
    expect(at('a/b')).toBeNull()
    expect(at('a/b/c')).toBeNull()
    expect(at('link-in')).toBeNull()
    expect(at('a/b/not-yet-created')).toBeNull()
  })

  test('outside is refused, for commands and prompts alike', () => {
    expect(at('a/bc')).toBe('workspace-allowlist')
    expect(at('a')).toBe('workspace-allowlist')
    expect(at('a/b/link-out')).toBe('workspace-allowlist')
    expect(ruleOf(checkPrompt('hello', allowlisted, { workspace: join(root, 'other') }))).toBe(
      'workspace-allowlist',
    )
  })
})

describe('assertAllowed', () => {
  test('passes an allowed result', () => {
    expect(() => assertAllowed({ ok: true })).not.toThrow()
  })

  test('throws a forbidden AppError naming the rule and the offending part', () => {
    let error: unknown
    try {
      assertAllowed(checkCommand('cat .env', RULES_ONLY, ctx))
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(AppError)
    const appError = error as AppError
    expect(appError.kind).toBe('forbidden')
    expect(appError.code).toBe('policy_violation')
    expect(appError.message).toContain('rule secrets')
    expect(appError.message).toContain('cat .env')
    expect(appError.details).toEqual({ rule: 'secrets', offending: 'cat .env' })
  })
})
