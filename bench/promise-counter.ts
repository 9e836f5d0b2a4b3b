// Preloaded into the Tollgate process by `npm run bench:promises`
// (`--import`): counts every promise the process creates (async_hooks'
// PROMISE resources: each `new Promise`, each async function call, each
// `then` and `await` of a promise) and answers the parent's `promises`
// message with the count so far.
import { createHook } from 'node:async_hooks';

let created = 0;
createHook({
  init(_id, type) {
    if (type === 'PROMISE') created++;
  },
}).enable();

process.on('message', (message: { type?: string }) => {
  if (message.type === 'promises') process.send?.({ type: 'promises', created });
});
