// The navigation drawer's toggle (MainLayout). The drawer is plain markup, so no circuit holds a component or a JS
// interop listener for it. Wide screens: open beside the page until the toggle closes it; narrow ones (below
// MudBlazor's md breakpoint, 960 px): closed, and over the page when the toggle opens it. The state is a class on
// <html>, which Blazor never renders: it survives the circuit replacing the prerendered page and every re-render.
(() => {
  const root = document.documentElement;
  const wide = window.matchMedia('(min-width: 960px)');
  const isOpen = () => wide.matches ? !root.classList.contains('portal-nav-closed') : root.classList.contains('portal-nav-open');
  let toggle = null;
  const sync = () => {
    toggle = document.getElementById('portal-nav-toggle');
    toggle?.setAttribute('aria-expanded', String(isOpen()));
  };
  const closeOver = () => { root.classList.remove('portal-nav-open'); sync(); };

  document.addEventListener('click', e => {
    if (!(e.target instanceof Element)) return;
    if (e.target.closest('#portal-nav-toggle')) {
      root.classList.toggle(wide.matches ? 'portal-nav-closed' : 'portal-nav-open');
      sync();
    } else if (!wide.matches && e.target.closest('.portal-drawer-overlay, .portal-drawer a')) {
      closeOver(); // a narrow screen's drawer covers the page: a click beside it, or on a link, closes it
    }
  });
  document.addEventListener('keydown', e => {
    if (e.key === 'Escape' && !wide.matches && root.classList.contains('portal-nav-open')) closeOver();
  });
  // Escape cancels the topmost dialog, as its Cancel button does (every dialog has one, its test id ending in
  // "-cancel"). Only a key really pressed does it: MudBlazor's own Escape handling (a key interceptor per dialog) was
  // measured cancelling a dialog opened just after another closed, with no key pressed. An open list (a select in the
  // dialog) takes the Escape first and closes itself.
  document.addEventListener('keydown', e => {
    if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('.mud-popover-open .mud-list')) return;
    const dialogs = document.querySelectorAll('.mud-dialog-container .mud-dialog');
    const cancel = dialogs[dialogs.length - 1]?.querySelector('.mud-dialog-actions [data-testid$="-cancel"]');
    if (cancel && !cancel.disabled) {
      e.preventDefault();
      cancel.click();
    }
  });
  wide.addEventListener('change', closeOver);
  // The circuit's first render replaces the prerendered toggle: keep its aria-expanded true to what is shown.
  new MutationObserver(() => { if (document.getElementById('portal-nav-toggle') !== toggle) sync(); })
    .observe(document.body, { childList: true, subtree: true });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', sync); else sync();

  // Called by the portal's components (JS interop).
  window.portalLayout = {
    // After a navigation in the portal (FocusTitleOnNavigate): focus the new page's title. A page that loads its data
    // first shows its title a moment later, so it is waited for (up to 5 s), unless the user focused something meanwhile.
    focusTitle() {
      const focus = title => {
        if (!title.hasAttribute('tabindex')) title.tabIndex = -1;
        title.focus({ preventScroll: true });
      };
      const title = document.querySelector('main h1');
      if (title) { focus(title); return; }
      const started = document.activeElement;
      const watch = new MutationObserver(() => {
        const later = document.querySelector('main h1');
        if (!later) return;
        stop();
        if (document.activeElement === started || document.activeElement === document.body) focus(later);
      });
      const timeout = setTimeout(() => stop(), 5000);
      const stop = () => { watch.disconnect(); clearTimeout(timeout); };
      watch.observe(document.body, { childList: true, subtree: true });
    },
    // A switch whose change the server refused (ActionSwitch): the browser toggled its checkbox already; put it back
    // as the server has it, or the next click would send the value the server already holds, and do nothing.
    showChecked(id, checked) {
      const input = document.querySelector(`input[data-action-switch="${CSS.escape(id)}"]`);
      if (input) input.checked = checked;
    },
  };
})();
