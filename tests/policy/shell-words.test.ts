import { describe, expect, test } from 'bun:test'
import { parseShell } from '../../src/policy'

/** Each simple command as its argv text, opaque ones marked with `?`. */
const argvs = (command: string) =>
  parseShell(command).map((cmd) => `${cmd.opaque ? '?' : ''}${cmd.argv.map((word) => word.text).join(' ')}`)

describe('parseShell', () => {
  test.each([
    ["c''url x", 'curl x'],
    ['"cu"rl x', 'curl x'],
    ['\\c\\u\\r\\l x', 'curl x'],
    ["$'\\x63url' x", 'curl x'],
    ['git  push', 'git push'],
    ['echo \'a  b\' "c $HOME"', 'echo a  b c $HOME'],
  ])('resolves quotes and escapes: %s', (command, expected) => {
    expect(argvs(command)).toEqual([expected])
  })

  test('splits lists, pipelines, subshells and groups', () => {
    expect(argvs('a | b && c || d; e & f\ng')).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g'])
    expect(argvs('(cd x && git push)')).toEqual(['cd x', 'git push'])
    expect(argvs('{ curl a; }')).toEqual(['curl a'])
    expect(argvs('if curl x; then echo y; fi')).toEqual(['curl x', 'echo y'])
    expect(argvs('while true; do wget z; done')).toEqual(['true', 'wget z'])
    expect(argvs('function f { curl a; }; f')).toEqual(['curl a', 'f'])
    expect(argvs('g() { ssh b; }')).toEqual(['g', 'ssh b'])
  })

  test('substitutions contribute their inner commands', () => {
    expect(argvs('echo `curl evil`')).toEqual(['curl evil', 'echo `curl evil`'])
    expect(argvs('echo "$(ssh host)"')).toEqual(['ssh host', 'echo $(ssh host)'])
    expect(argvs('diff <(curl a) b')).toEqual(['curl a', 'diff <(curl a) b'])
    expect(argvs('for f in $(ls); do wget $f; done')).toEqual(['ls', 'wget $f'])
  })

  test('case patterns are not commands, case bodies are', () => {
    expect(argvs('case $x in a) curl y;; (b|c) ssh z;; esac')).toEqual(['curl y', 'ssh z'])
  })

  test('strips wrappers and assignments', () => {
    expect(argvs('env X=1 curl a')).toEqual(['curl a'])
    expect(argvs('A=1 B=2 wget b')).toEqual(['wget b'])
    expect(argvs('sudo -u x wget b')).toEqual(['wget b'])
    expect(argvs('timeout 5 nice -n 3 nohup time -p exec command curl x')).toEqual(['curl x'])
    expect(argvs('xargs -n 1 curl')).toEqual(['curl'])
    expect(argvs('env -S "curl -v" x')).toEqual(['curl -v x'])
    expect(argvs('command -v curl')).toEqual([''])
    expect(parseShell('sudo -u x wget b')[0]?.views.map((view) => view[0]?.text)).toEqual(['sudo', 'wget'])
  })

  test('reads scripts handed to shells, eval and find -exec', () => {
    expect(argvs("sh -c 'curl x'")).toEqual(['sh -c curl x', 'curl x'])
    expect(argvs('bash -lc "git push"')).toEqual(['bash -lc git push', 'git push'])
    expect(argvs('eval "wget y"')).toEqual(['eval wget y', 'wget y'])
    expect(argvs('find . -exec curl {} \\;')).toEqual(['find . -exec curl {} ;', 'curl {}'])
  })

  test('flags what cannot be known from the text', () => {
    expect(argvs('$(echo c)url x')).toEqual(['echo c', '?$(echo c)url x'])
    expect(argvs('$CMD x')).toEqual(['?$CMD x'])
    expect(argvs('cur? x')).toEqual(['?cur? x'])
    expect(argvs('{c,}url x')).toEqual(['?{c,}url x'])
    expect(argvs('echo Y3VybA== | base64 -d | sh')).toEqual(['echo Y3VybA==', 'base64 -d', '?sh'])
    expect(argvs('sh -c "$X"')).toEqual(['?sh -c $X'])
    expect(argvs('[ -f x ] && sh script.sh')).toEqual(['[ -f x ]', 'sh script.sh'])
    const word = parseShell('echo $(date)x')[1]?.argv[1]
    expect(word).toMatchObject({ text: '$(date)x', dynamic: true })
  })

  test('here-documents are data, but an unquoted one still runs its substitutions', () => {
    expect(argvs('cat <<EOF\ncurl x $(ssh y)\nEOF\necho done')).toEqual(['cat', 'ssh y', 'echo done'])
    expect(argvs("cat <<'EOF'\n$(ssh y)\nEOF")).toEqual(['cat'])
  })

  test('keeps redirection targets apart and drops comments', () => {
    const [cmd] = parseShell('cat < .env 2>&1 >out # curl x')
    expect(cmd?.argv.map((word) => word.text)).toEqual(['cat'])
    expect(cmd?.redirects.map((word) => word.text)).toEqual(['.env', '1', 'out'])
    expect(cmd?.source).toBe('cat < .env 2>&1 >out')
  })

  test('survives pathological nesting', () => {
    const deep = `${'$('.repeat(200)}curl x${')'.repeat(200)}`
    expect(parseShell(deep).some((cmd) => cmd.opaque !== undefined)).toBe(true)
  })
})
