// Maps the admin API's field paths ("spec.match.path.prefix", "spec.endpoints[1].address") to lines
// of the YAML text being edited, so that a validation error is shown at its field.

/** ["spec", "endpoints", 1, "address"] for "spec.endpoints[1].address". */
export function segments(field) {
  const out = [];
  for (const part of field.split('.')) {
    const m = part.match(/^([^\[]*)((\[\d+\])*)$/);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const i of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]));
  }
  return out;
}

function indentOf(line) {
  return line.length - line.trimStart().length;
}

function meaningful(line) {
  const t = line.trim();
  return t !== '' && !t.startsWith('#') && t !== '---';
}

/**
 * The 1-based line of `field` in `text` (a single YAML document in block style), or of the deepest
 * part of it that is there (a missing field is shown at its parent); 1 when nothing matches.
 */
export function lineOf(text, field) {
  const lines = text.split('\n');
  let line = -1; // the line of the node found so far; -1 is the document
  let indent = -1; // the column its children must be deeper than
  for (const seg of segments(field)) {
    let found = -1;
    let seen = 0;
    for (let i = line + 1; i < lines.length; i++) {
      const l = lines[i];
      if (!meaningful(l)) continue;
      const col = indentOf(l);
      const body = l.trimStart();
      if (col <= indent && !(typeof seg === 'number' && col === indent && body.startsWith('- '))) break;
      if (typeof seg === 'number') {
        if (body.startsWith('- ') || body === '-') {
          if (seen === seg) {
            found = i;
            indent = col; // "- key: v": the item's keys sit at col + 2
            break;
          }
          seen++;
        }
      } else {
        // "key:" at this level, or "- key:" opening a list item
        const key = body.startsWith('- ') ? body.slice(2) : body;
        const keyCol = body.startsWith('- ') ? col + 2 : col;
        if (key.startsWith(seg + ':') || key.startsWith(`"${seg}":`)) {
          found = i;
          indent = keyCol;
          break;
        }
      }
    }
    if (found < 0) break;
    line = found;
  }
  return line < 0 ? 1 : line + 1;
}
