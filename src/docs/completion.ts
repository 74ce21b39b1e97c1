/**
 * Shell completion scripts (bash, zsh) from the command definitions: commands, their flags, flag values
 * (choices, files, directories) and container ids, read at TAB time with `tsrun list -q` (answered by the native
 * front end in about a millisecond) under the --root given on the command line.
 */
import type { CommandDoc } from '../cli/command-def.js';
import type { FlagSpec, FlagTable } from '../cli/flags.js';

const DIR_FLAGS = new Set(['bundle', 'root', 'log-dir', 'cwd']);
const FILE_FLAGS = new Set(['log', 'pid-file', 'console-socket', 'pidfd-socket', 'process', 'resources']);

const shown = (t: FlagTable) => Object.entries(t).filter(([, f]) => !f.hidden);
const words = (t: FlagTable) => shown(t).flatMap(([n, f]) => [`--${n}`, ...(f.alias ? [`-${f.alias}`] : [])]);
const valueWords = (t: FlagTable) => Object.entries(t).filter(([, f]) => f.type === 'string').flatMap(([n, f]) => [`--${n}`, `-${n}`, ...(f.alias ? [`-${f.alias}`] : [])]);
/** The kind of the positional after the container id ('signal' for kill), if any. */
const second = (d: CommandDoc) => (d.name === 'kill' ? 'signal' : d.name === 'exec' ? 'command' : '');
const SIGNALS = 'HUP INT QUIT KILL USR1 USR2 TERM CONT STOP TSTP WINCH';

function bashValueCase(t: FlagTable): string {
  const lines = Object.entries(t)
    .filter(([, f]) => f.type === 'string')
    .map(([n, f]) => {
      const pats = [`--${n}`, `-${n}`, ...(f.alias ? [`-${f.alias}`] : [])].join('|');
      const gen = f.choices ? `compgen -W "${f.choices.join(' ')}"` : DIR_FLAGS.has(n) ? 'compgen -d' : FILE_FLAGS.has(n) ? 'compgen -f' : '';
      return gen ? `      ${pats}) COMPREPLY=($(${gen} -- "$cur")); return ;;` : `      ${pats}) return ;;`;
    });
  return lines.join('\n');
}

export function bashCompletion(commands: readonly CommandDoc[], globals: FlagTable): string {
  const names = commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]).join(' ');
  const cases = commands
    .map((c) => {
      const pats = [c.name, ...(c.aliases ?? [])].join('|');
      return `    ${pats})
      case "$prev" in
${bashValueCase(c.flags)}
      esac
      values="${valueWords(c.flags).join(' ')}"
      flags="${words(c.flags).join(' ')} --help"
      id=${c.command.includes('<container-id>') ? 1 : 0} second=${second(c) || '-'} ;;`;
    })
    .join('\n');
  return `# bash completion for tsrun, generated from its command definitions.
_tsrun_ids() {
  local root= i w
  for ((i = 1; i < \${#COMP_WORDS[@]}; i++)); do
    w=\${COMP_WORDS[i]}
    case $w in
      --root | -root) root=\${COMP_WORDS[i + 1]} ;;
      --root=* | -root=*) root=\${w#*=} ;;
    esac
  done
  "\${COMP_WORDS[0]}" \${root:+--root "$root"} list -q 2>/dev/null
}

_tsrun() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD - 1]}
  local gvalues="${valueWords(globals).join(' ')}"
  local cmd= cmdi=0 i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ " $gvalues " == *" $w "* ]]; then ((i++)); continue; fi
    [[ $w == -* ]] && continue
    cmd=$w cmdi=$i
    break
  done
  if [[ -z $cmd ]]; then
    case "$prev" in
${bashValueCase(globals)}
    esac
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "${words(globals).join(' ')} --help --version" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "${names} help" -- "$cur"))
    fi
    return
  fi
  local values flags id second
  case "$cmd" in
${cases}
    help) COMPREPLY=($(compgen -W "${names}" -- "$cur")); return ;;
    *) return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  local n=0
  for ((i = cmdi + 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ " $values " == *" $w "* ]]; then ((i++)); continue; fi
    [[ $w == -* ]] || ((n++))
  done
  if ((id && n == 0)); then
    COMPREPLY=($(compgen -W "$(_tsrun_ids)" -- "$cur"))
  elif ((n == 1)) && [[ $second == signal ]]; then
    COMPREPLY=($(compgen -W "${SIGNALS}" -- "$cur"))
  elif ((n >= 1)) && [[ $second == command ]]; then
    COMPREPLY=($(compgen -c -- "$cur"))
  fi
}
complete -F _tsrun tsrun
`;
}

function zshSpec(name: string, f: FlagSpec): string {
  const desc = f.describe.replace(/[[\]:'\\]/g, (c) => (c === "'" ? "'\\''" : '\\' + c));
  const action =
    f.type === 'boolean' ? '' : f.choices ? `:${name}:(${f.choices.join(' ')})` : DIR_FLAGS.has(name) ? `:${name}:_files -/` : FILE_FLAGS.has(name) ? `:${name}:_files` : `:${name}: `;
  const eq = f.type === 'string' ? '=' : '';
  if (!f.alias) return `'--${name}${eq}[${desc}]${action}'`;
  return `'(-${f.alias} --${name})'{-${f.alias},--${name}${eq}}'[${desc}]${action}'`;
}

export function zshCompletion(commands: readonly CommandDoc[], globals: FlagTable): string {
  const list = commands.map((c) => `    '${c.name}:${c.summary.replace(/'/g, "'\\''").replace(/:/g, '\\:')}'`).join('\n');
  const cases = commands
    .map((c) => {
      const specs = shown(c.flags).map(([n, f]) => `        ${zshSpec(n, f)}`);
      const pos = c.command.includes('<container-id>') ? [`        '1:container:_tsrun_ids'`] : [];
      if (second(c) === 'signal') pos.push(`        '2:signal:(${SIGNALS})'`);
      if (second(c) === 'command') pos.push(`        '2:command:_command_names'`, `        '*::arguments:_normal'`);
      return `    ${[c.name, ...(c.aliases ?? [])].join('|')})\n      _arguments -s \\\n${[...specs, ...pos].join(' \\\n')}\n      ;;`;
    })
    .join('\n');
  return `#compdef tsrun
# zsh completion for tsrun, generated from its command definitions.
_tsrun_ids() {
  local root=\${opt_args[--root]}
  local -a ids
  ids=(\${(f)"$(tsrun \${root:+--root "$root"} list -q 2>/dev/null)"})
  _describe -t containers container ids
}

_tsrun() {
  local curcontext=$curcontext state line ret=1
  typeset -A opt_args
  _arguments -C \\
${shown(globals)
  .map(([n, f]) => `    ${zshSpec(n, f)}`)
  .join(' \\\n')} \\
    '1:command:->command' \\
    '*::arg:->args' && ret=0
  case $state in
  command)
    local -a commands
    commands=(
${list}
    )
    _describe -t commands command commands && ret=0
    ;;
  args)
    case $words[1] in
${cases}
    esac
    ;;
  esac
  return ret
}

_tsrun "$@"
`;
}
