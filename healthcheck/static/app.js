// Progressive enhancement only: every page works without JavaScript.
import { initAll } from './govuk/govuk-frontend.min.js'
initAll()

// The GOV.UK timeout-warning pattern, for employers: a dialog 5 minutes before an idle session
// ends; "Stay signed in" renews it. Without JavaScript the session still ends, and a page of
// answers sent afterwards comes back unsaved rather than lost.
const warning = document.getElementById('timeout-warning')
if (warning && typeof warning.showModal === 'function') {
  const timeout = Number(warning.dataset.timeout) * 1000
  const warn = Number(warning.dataset.warn) * 1000
  let timers = []
  const schedule = () => {
    timers.forEach(clearTimeout)
    timers = [
      setTimeout(() => warning.showModal(), Math.max(timeout - warn, 0)),
      setTimeout(() => { window.location.href = warning.dataset.timedOut }, timeout)
    ]
  }
  document.getElementById('stay-signed-in').addEventListener('click', async () => {
    const response = await fetch(warning.dataset.keepAlive, {
      method: 'POST', headers: { 'X-CSRFToken': warning.dataset.csrf }, credentials: 'same-origin'
    })
    if (response.ok) { warning.close(); schedule() } else { window.location.href = warning.dataset.timedOut }
  })
  schedule()
}
