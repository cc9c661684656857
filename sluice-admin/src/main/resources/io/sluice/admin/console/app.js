// The console's shell: the navigation, the signed-in user, and the hash router that shows one page
// at a time (pages.js). A page may return a function that stops it (the traffic page's polling).
import { session, logout } from './api.js';
import { pages, h } from './pages.js';

const nav = document.getElementById('nav');
const page = document.getElementById('page');
let stop = null;

/** [page name, ...arguments] of "#/object/routes/web". */
function parse() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?');
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  return { name: parts[0] || 'overview', args: parts.slice(1), query: new URLSearchParams(query) };
}

async function show() {
  if (stop) stop();
  stop = null;
  const { name, args, query } = parse();
  const render = pages[name] || pages.missing;
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('current', a.dataset.page === name && (!a.dataset.arg || a.dataset.arg === args[0]));
  const container = h('div', { class: `page page-${name}` });
  page.replaceChildren(container);
  try {
    stop = (await render(container, args, query)) || null;
  } catch (e) {
    container.append(h('p', { class: 'error', role: 'alert' }, String(e.message || e)));
  }
  // When the page's content is in place: the browser tests read this to time page loads.
  performance.mark('sluice:rendered', { detail: location.hash });
}

async function start() {
  const s = await session();
  const links = [['overview', 'Overview', '#/']];
  for (const kind of s.kinds) links.push(['kind', kind, `#/kind/${kind}`, kind]);
  links.push(['history', 'History', '#/history'], ['changes', 'Changes', '#/changes'], ['deliveries', 'Dead letters', '#/deliveries'], ['traffic', 'Traffic', '#/traffic'], ['tester', 'Route tester', '#/tester'],
    ['fleet', 'Fleet', '#/fleet']);
  nav.replaceChildren(...links.map(([p, label, href, arg]) => h('a', { href, 'data-page': p, ...(arg ? { 'data-arg': arg } : {}) }, label)));
  const user = document.getElementById('user');
  user.replaceChildren(h('span', { id: 'who' }, `${s.name} (${s.roles.join(', ')})`));
  if (s.login) {
    const out = h('button', { id: 'logout', type: 'button' }, 'Sign out');
    out.addEventListener('click', () => logout());
    user.append(out);
  }
  window.addEventListener('hashchange', show);
  await show();
}

start();
