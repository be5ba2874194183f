// Each message is `{"id": "...", ...}`: stored as KV `queued:<id>` with the message as JSON.
export default {
  async queue(batch, env) {
    for (const message of batch.messages) {
      await env.CACHE.put(`queued:${message.body.id}`, JSON.stringify(message.body));
      message.ack();
    }
  },
};
