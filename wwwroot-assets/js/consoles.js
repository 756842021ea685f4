// The VM consoles in the browser: xterm.js on the portal's serial console WebSocket, noVNC on its VNC proxy.
// The Blazor components (VmSerialTerminal, VmGraphicalConsole) own the state users see; this module reports to them.
import { Terminal } from '/lib/xterm/xterm.mjs';
import { FitAddon } from '/lib/xterm/addon-fit.mjs';
import RFB from '/lib/novnc/core/rfb.js';

function socketUrl(path) {
  const u = new URL(path, document.baseURI);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

function ensureStyle(href) {
  if (document.querySelector(`link[data-console-style="${href}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  link.dataset.consoleStyle = href;
  document.head.appendChild(link);
}

// A page that left while its console opened (another tab chosen) must not open a socket: nothing would close it, and it
// would hold the console's writer (or the screen's control) for nobody.
function requireOnPage(element) {
  if (!element || !element.isConnected) throw new Error('The console left the page before it opened.');
}

// ---- serial: binary frames are the guest's bytes and the writer's keys, text frames JSON notices ----

export function openSerial(element, path, dotnet) {
  requireOnPage(element);
  ensureStyle('/lib/xterm/xterm.css');
  const term = new Terminal({
    cursorBlink: true, fontSize: 13, scrollback: 5000, disableStdin: true,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace',
    theme: { background: '#101418', foreground: '#c8e6c9' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(element);
  const state = { term, fit, path, dotnet, socket: null, writer: false, disposed: false, encoder: new TextEncoder() };
  state.resize = new ResizeObserver(() => { try { fit.fit(); } catch { /* hidden: nothing to fit */ } });
  state.resize.observe(element);
  term.onData(data => {
    // The server drops a read-only viewer's keys too; this only spares the round trip.
    if (state.writer && state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(state.encoder.encode(data));
  });
  connectSerial(state);
  return state;
}

function connectSerial(state) {
  const socket = new WebSocket(socketUrl(state.path));
  socket.binaryType = 'arraybuffer';
  state.socket = socket;
  socket.onopen = () => { if (!state.disposed) state.dotnet.invokeMethodAsync('OnSerialOpened'); };
  socket.onmessage = e => {
    if (state.disposed || state.socket !== socket) return;
    if (typeof e.data !== 'string') { state.term.write(new Uint8Array(e.data)); return; }
    const m = JSON.parse(e.data);
    if (m.type === 'role') {
      state.writer = m.writer;
      state.term.options.disableStdin = !m.writer;
      state.dotnet.invokeMethodAsync('OnSerialRole', m.writer, m.writerName);
    } else if (m.type === 'ended') {
      state.dotnet.invokeMethodAsync('OnSerialEnded', m.reason);
    }
  };
  socket.onclose = e => {
    if (state.disposed || state.socket !== socket) return;
    state.writer = false;
    state.term.options.disableStdin = true;
    state.dotnet.invokeMethodAsync('OnSerialClosed', e.wasClean ? (e.reason || '') : 'the connection to the portal was lost');
  };
}

export function reconnectSerial(state) {
  if (state.disposed || (state.socket && state.socket.readyState <= WebSocket.OPEN)) return;
  state.term.write('\r\n\x1b[2m--- reconnected ---\x1b[0m\r\n');
  connectSerial(state);
}

export function focusSerial(state) { state.term.focus(); }

export function disposeSerial(state) {
  state.disposed = true;
  if (state.socket) state.socket.close();
  state.resize.disconnect();
  state.term.dispose();
}

// ---- graphical: noVNC over the portal's proxy ----

export function openVnc(element, path, dotnet) {
  requireOnPage(element);
  const state = { element, path, dotnet, rfb: null, disposed: false, viewOnly: false };
  connectVnc(state);
  return state;
}

function connectVnc(state) {
  const rfb = new RFB(state.element, socketUrl(state.path), { wsProtocols: ['binary'] });
  rfb.scaleViewport = true;
  rfb.background = '#101418';
  // Kept across reconnects: the page says when this viewer's role changes.
  rfb.viewOnly = state.viewOnly;
  state.rfb = rfb;
  rfb.addEventListener('connect', () => { if (!state.disposed) state.dotnet.invokeMethodAsync('OnVncConnected'); });
  rfb.addEventListener('disconnect', e => {
    if (state.disposed || state.rfb !== rfb) return;
    state.rfb = null;
    state.dotnet.invokeMethodAsync('OnVncDisconnected', e.detail.clean);
  });
  rfb.addEventListener('desktopname', e => { if (!state.disposed) state.dotnet.invokeMethodAsync('OnVncName', e.detail.name); });
}

export function reconnectVnc(state) {
  if (state.disposed || state.rfb) return;
  connectVnc(state);
}

// Another operator controls the screen: noVNC stops sending keys and pointer (the portal's proxy drops them anyway).
export function setVncViewOnly(state, viewOnly) {
  state.viewOnly = viewOnly;
  if (state.rfb) state.rfb.viewOnly = viewOnly;
}

export function disposeVnc(state) {
  state.disposed = true;
  if (state.rfb) state.rfb.disconnect();
}
