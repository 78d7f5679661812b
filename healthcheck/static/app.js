// Progressive enhancement only: every page works without JavaScript.
import { initAll } from './govuk/govuk-frontend.min.js'
initAll()

// The GOV.UK timeout-warning pattern, for employers: a dialog 5 minutes before an idle session
// ends (or its 8 hours are up); "Stay signed in" renews it. Without JavaScript the session still ends, and a page of
// answers sent afterwards comes back unsaved rather than lost.
const warning = document.getElementById('timeout-warning')
if (warning && typeof warning.showModal === 'function') {
  const idle = Number(warning.dataset.timeout) * 1000
  const endsAt = Date.now() + Number(warning.dataset.endsIn) * 1000  // the session's absolute lifetime
  const warn = Number(warning.dataset.warn) * 1000
  let timers = []
  let ended = false
  const schedule = () => {
    const timeout = Math.min(idle, endsAt - Date.now())
    timers.forEach(clearTimeout)
    timers = [
      setTimeout(() => warning.showModal(), Math.max(timeout - warn, 0)),
      setTimeout(signedOut, timeout)
    ]
  }
  document.getElementById('stay-signed-in').addEventListener('click', async () => {
    if (ended) { warning.close(); return }
    const response = await fetch(warning.dataset.keepAlive, {
      method: 'POST', headers: { 'X-CSRFToken': warning.dataset.csrf }, credentials: 'same-origin'
    })
    if (response.status === 204) { warning.close(); schedule() } else { signedOut() }
  })
  // Signed out: a page of answers stays, so what was typed can be saved after signing in again
  // (the save comes back unsaved, with the way in); any other page goes to the signed-out page.
  function signedOut () {
    if (!document.querySelector('form.app-answers')) { window.location.href = warning.dataset.timedOut; return }
    document.getElementById('timeout-title').textContent = 'You have been signed out'
    warning.querySelector('p').textContent = 'For your security, you were signed out. What you typed is still on ' +
      'this page: open your organisation\'s link again in another tab, then come back here and save.'
    document.getElementById('stay-signed-in').textContent = 'Close'
    ended = true
    if (!warning.open) warning.showModal()
  }
  schedule()
}

// The comment review page's keyboard shortcuts (listed on the page): a key outside a text field
// presses the button or follows the link marked data-key. Without JavaScript the buttons work as usual.
const decide = document.getElementById('decide')
if (decide) {
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return
    const field = event.target.closest('input, textarea, select, [contenteditable]')
    if (field) {
      if (event.key === 'Escape' && field.tagName === 'TEXTAREA') field.blur()
      return
    }
    if (event.key === 'e') {
      event.preventDefault()
      decide.querySelector('textarea').focus()
      return
    }
    const target = document.querySelector(`[data-key="${event.key}"]`)
    if (target) {
      event.preventDefault()
      target.click()
    }
  })
}
