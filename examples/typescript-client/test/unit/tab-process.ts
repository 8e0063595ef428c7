/**
 * Another tab, as a process of its own, for the tabs tests:
 *
 *     node --import tsx test/unit/tab-process.ts write STORE NAME COUNT START
 *         from START (Unix ms: all writers start together) creates COUNT threads
 *         titled NAME-0 ... on the store (no network), then prints "done";
 *     node --import tsx test/unit/tab-process.ts hold-sender STORE
 *         becomes the store's sender, prints "holding" or "refused", and keeps the
 *         lock until stdin closes (or it is killed).
 */
import { ThreadsApi } from "../../src/api";
import { ThreadClient } from "../../src/client";
import { sleepSync } from "../../src/lock";
import { Store } from "../../src/store";

const [mode, storePath = "", name = "tab", count = "0", start = "0"] = process.argv.slice(2);
const store = new Store(storePath, { durable: false });

if (mode === "write") {
  const client = new ThreadClient(store, new ThreadsApi("http://127.0.0.1:9", "unused"));
  while (Date.now() < Number(start)) sleepSync(1);
  for (let i = 0; i < Number(count); i += 1) {
    client.createThread({ agentId: "a", model: "m", provider: "p", title: `${name}-${i}`, select: false });
  }
  client.close();
  process.stdout.write("done\n");
} else if (mode === "hold-sender") {
  process.stdout.write(store.tryBecomeSender() ? "holding\n" : "refused\n");
  process.stdin.resume();
  process.stdin.on("end", () => {
    store.close();
    process.exit(0);
  });
} else {
  process.stderr.write(`unknown mode ${String(mode)}\n`);
  process.exit(2);
}
