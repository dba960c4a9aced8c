// The tests' HTTP client keeps an idle connection for one second at most. The hub closes an idle keep-alive connection
// after keepAliveTimeoutSeconds (5); the client's default keeps it until a second before the server's hint. On a busy
// 2-core machine the event loop can lag past that second, and the next request goes out on a socket the server has
// just closed: "fetch failed" (ECONNRESET) at the first request of a test, which no product code caused. A one-second
// client keep-alive leaves four seconds of lag before that can happen. Node's fetch uses the dispatcher set here.
import { Agent, setGlobalDispatcher } from 'undici';

setGlobalDispatcher(new Agent({ keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 }));
