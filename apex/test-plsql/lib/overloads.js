'use strict';
// PL/SQL overload resolution, for the one question the grammar cannot answer: can a call match
// more than one overload of a subprogram (PLS-00307 "too many declarations match")? Types are
// ignored on purpose (every argument is taken to fit every parameter), which is the worst case:
// the kit's overloads differ in parameter names and defaults, not in types.

/** The parameter lists of every `function|procedure <name>(...)` declared in `source`. */
function declarations(source, name) {
  const code = source.replace(/--.*$/gm, '');
  const re = new RegExp(`\\b(?:function|procedure)\\s+${name}\\s*\\(`, 'gi');
  const out = [];
  let m;
  while ((m = re.exec(code)) !== null) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < code.length && depth > 0; i++) {
      if (code[i] === '(') depth++;
      else if (code[i] === ')') depth--;
    }
    const list = code.slice(re.lastIndex, i - 1);
    out.push(list.split(',').map((p) => {
      const words = p.trim().split(/\s+/);
      return { name: words[0].toLowerCase(), hasDefault: /\bdefault\b|:=/i.test(p) };
    }));
  }
  return out;
}

/** Whether a call with `positional` leading arguments and the `named` ones fits `params`. */
function applicable(params, positional, named) {
  if (positional > params.length) return false;
  const names = new Set(params.map((p) => p.name));
  for (const n of named) {
    if (!names.has(n)) return false;
    if (params.findIndex((p) => p.name === n) < positional) return false; // given twice
  }
  return params.every((p, i) => i < positional || named.includes(p.name) || p.hasDefault);
}

/** Every call shape (positional count, set of named parameters) that more than one overload accepts. */
function ambiguousCalls(overloads) {
  const allNames = [...new Set(overloads.flat().map((p) => p.name))];
  const max = Math.max(...overloads.map((o) => o.length));
  const found = [];
  for (let positional = 0; positional <= max; positional++) {
    for (let mask = 0; mask < 1 << allNames.length; mask++) {
      const named = allNames.filter((_, i) => mask & (1 << i));
      const matching = overloads.filter((o) => applicable(o, positional, named));
      if (matching.length > 1) found.push({ positional, named });
    }
  }
  return found;
}

module.exports = { declarations, applicable, ambiguousCalls };
