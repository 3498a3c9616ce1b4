// Chromium's WebSocket against keepwire's server over wss: (TLS with the committed test
// certificate, trusted by its key only); the cases are in _websocket_browser.ts.
import { browserWebSocketSuite } from "./_websocket_browser.ts";

browserWebSocketSuite(true);
