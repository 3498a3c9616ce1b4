// Chromium's WebSocket against keepwire's server over plain ws: (the cases are in
// _websocket_browser.ts; websocket_tls_browser_test.ts runs them over wss:).
import { browserWebSocketSuite } from "./_websocket_browser.ts";

browserWebSocketSuite(false);
