// The login form: posts the token to /console/session; the server answers with a session cookie.
const form = document.getElementById('login');
const error = document.getElementById('login-error');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.hidden = true;
  const token = document.getElementById('token').value;
  const res = await fetch('/console/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
    credentials: 'same-origin',
  });
  if (res.ok) {
    location.assign('/console/');
    return;
  }
  let message = `sign-in failed (${res.status})`;
  try {
    message = (await res.json()).message || message;
  } catch (e) {
    // not JSON: keep the status
  }
  error.textContent = message;
  error.hidden = false;
});
