// Pure: the command line and environment a systemd unit gives its service,
// read as systemd reads them (systemd.service(5), systemd.exec(5)): the
// [Service] section, backslash-continued lines, Environment= assignments
// (quoted, several per line, later ones win), ExecStart='s prefixes and
// quoting, and $VAR / ${VAR} expanded from the unit's own environment.

/** Words of a systemd command line or assignment list: "…" and '…' quote, \ escapes. */
export function splitWords(text) {
  const words = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      const next = text[++i];
      word += { n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'", ' ': ' ' }[next] ?? `\\${next}`;
      inWord = true;
    } else if (quote !== '') {
      if (c === quote) quote = '';
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== '') throw new Error(`unterminated ${quote} in: ${text}`);
  if (inWord) words.push(word);
  return words;
}

/** `[Service]` lines of a unit, continuations joined, comments dropped, as [key, value] in order. */
export function serviceEntries(text) {
  const entries = [];
  let section = '';
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = pending + raw.trim();
    pending = '';
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1) + ' ';
      continue;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      section = header[1];
      continue;
    }
    const equals = line.indexOf('=');
    if (section === 'Service' && equals > 0)
      entries.push([line.slice(0, equals).trim(), line.slice(equals + 1).trim()]);
  }
  return entries;
}

function expand(word, environment) {
  return word.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_, braced, bare) => environment[braced ?? bare] ?? '',
  );
}

/**
 * { argv, environment, notes } of the unit's (last) ExecStart=. `notes` lists
 * what this reading does not reproduce (EnvironmentFile=, User=, …).
 */
export function readServiceCommand(text) {
  const environment = {};
  let execStart;
  const notes = [];
  for (const [key, value] of serviceEntries(text)) {
    if (key === 'Environment') {
      if (value === '') for (const name of Object.keys(environment)) delete environment[name];
      for (const assignment of splitWords(value)) {
        const equals = assignment.indexOf('=');
        if (equals > 0) environment[assignment.slice(0, equals)] = assignment.slice(equals + 1);
      }
    } else if (key === 'ExecStart') {
      // An empty ExecStart= resets the list (drop-ins); the last one is the command.
      execStart = value === '' ? undefined : value;
    } else if (
      [
        'EnvironmentFile',
        'User',
        'Group',
        'DynamicUser',
        'WorkingDirectory',
        'RootDirectory',
      ].includes(key)
    ) {
      notes.push(`${key}=${value}`);
    }
  }
  if (execStart === undefined) throw new Error('the unit has no ExecStart=');
  // Prefixes: @ (argv[0] differs), - (failure ignored), : (no expansion), + ! !! (privileges).
  const prefix = /^[-@:+!]*/.exec(execStart)[0];
  const words = splitWords(execStart.slice(prefix.length));
  let argv = prefix.includes(':') ? words : words.map((word) => expand(word, environment));
  if (prefix.includes('@')) argv = [argv[0], ...argv.slice(2)];
  return { argv, environment, notes };
}
