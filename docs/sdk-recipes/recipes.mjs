// The Node recipes of docs/sdks.md, run against a Keybrake gateway whose upstreams are the
// simulators (`./keybrake up --simulate`). Creates one vault key per vendor through the admin API,
// sends one call with each vendor's own SDK holding only the vault key, checks one refusal, and
// exits non-zero on the first surprise.
//   GATEWAY=http://localhost:8080 KEYBRAKE_ADMIN_KEY=$(cat .keybrake/admin-key) node recipes.mjs
import assert from "node:assert/strict";
import twilio from "twilio";
import Stripe from "stripe";
import { Resend } from "resend";

const gateway = new URL(process.env.GATEWAY ?? "http://localhost:8080");
const admin = process.env.KEYBRAKE_ADMIN_KEY;
assert.ok(admin, "set KEYBRAKE_ADMIN_KEY");

async function createKey(body) {
  const res = await fetch(new URL("/keys", gateway), {
    method: "POST",
    headers: { "X-Admin-Key": admin, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).vault_key;
}

// --- twilio-node -------------------------------------------------------------------------------
// twilio-node insists on an account SID starting with AC: pass the vault key as the user name and
// any AC… placeholder as accountSid (the gateway puts the real SID in the path and the real
// credentials in the Authorization header). A RequestClient that sends to the gateway.
class KeybrakeRequestClient extends twilio.RequestClient {
  constructor(base) {
    super();
    this.base = base; // e.g. http://localhost:8080/twilio
  }
  request(opts) {
    return super.request({ ...opts, uri: opts.uri.replace(/^https:\/\/[^/]+/, this.base) });
  }
}

const twilioVault = await createKey({
  name: "node-sms", vendor: "twilio",
  twilio_account_sid: "AC00000000000000000000000000000000", twilio_auth_token: "your-token",
  policy: { daily_usd_cap: 1, allowed_prefixes: ["+1"] },
});
const sms = twilio(twilioVault, "unused", {
  accountSid: "AC00000000000000000000000000000000",
  httpClient: new KeybrakeRequestClient(new URL("/twilio", gateway).href),
});
const message = await sms.messages.create({ to: "+14155552671", from: "+15005550006", body: "hi" });
assert.match(message.sid, /^SM/);
await assert.rejects(
  sms.messages.create({ to: "+2348031234567", from: "+15005550006", body: "hi" }),
  (e) => e.status === 403 && /not allowed/.test(e.message),
);
console.log("twilio-node: sent", message.sid, "and saw the +234 refusal as a 403 RestException");

// --- stripe-node -------------------------------------------------------------------------------
const stripeVault = await createKey({
  name: "node-billing", vendor: "stripe", stripe_secret_key: "sk_test_simulated",
  policy: { daily_usd_cap: 10, allowed_endpoints: ["payment_intents.create"] },
});
const stripe = new Stripe(stripeVault, {
  host: gateway.hostname, port: gateway.port, protocol: gateway.protocol.replace(":", ""),
  maxNetworkRetries: 0,
});
const intent = await stripe.paymentIntents.create({ amount: 500, currency: "usd" });
assert.match(intent.id, /^pi_/);
await assert.rejects(
  stripe.paymentIntents.create({ amount: 2000, currency: "usd" }),
  (e) => e.statusCode === 429 && /exhausted/.test(e.message),
);
console.log("stripe-node: created", intent.id, "and saw the cap refusal as a 429 StripeError");

// --- Resend SDK --------------------------------------------------------------------------------
const resendVault = await createKey({
  name: "node-mailer", vendor: "resend", resend_api_key: "re_simulated",
  policy: { daily_usd_cap: 1 },
});
const resend = new Resend(resendVault, { baseUrl: new URL("/resend", gateway).href });
const sent = await resend.emails.send({
  from: "agent@example.com", to: "customer@example.com", subject: "Your order", text: "shipped",
});
assert.equal(sent.error, null, JSON.stringify(sent.error));
assert.ok(sent.data.id);
console.log("resend: sent", sent.data.id);
