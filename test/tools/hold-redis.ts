// Starts a throwaway redis-server, prints its port, and waits to be killed:
// for the test that the server does not outlive this process.
import { ThrowawayRedis } from '../redis-server.js';

const server = await ThrowawayRedis.start();
console.log(server.port);
setInterval(() => undefined, 60_000);
