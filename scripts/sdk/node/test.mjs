// The official Worldline Direct Node SDK, unchanged, against `cadodesk sandbox`.
//
// The Node SDK differs from the others on the wire (it sends Content-Type on GET and signs an empty line for it), and
// it throws no typed errors: it resolves {status, body, isSuccess}. Run through scripts/sdk-conformance.sh, which
// starts the sandbox and exports SANDBOX_URL and the SANDBOX_* credentials.
//
// The tests run in file order and build on each other: create, get, pay on the hosted page, details, refund.
//
// The Node SDK (6.2.0, like 4.x) validates request bodies against its own JSON schemas, and those have no
// `redirectPaymentMethodSpecificInput.paymentProduct3103SpecificInput`: it refuses, before sending, a checkout that
// sets `completeRemainingPaymentAmount`. So the Node checkout is 70,00 € paid by two gift cards alone (50 € + 20 €);
// the split with a card remainder is judged by the Python SDK and by the browser test.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { after, test } from "node:test";

import onlinePayments from "onlinepayments-sdk-nodejs";

const SANDBOX_URL = process.env.SANDBOX_URL ?? "";
const MERCHANT_ID = process.env.SANDBOX_MERCHANT_ID ?? "cadodesk-sandbox";
const API_KEY_ID = process.env.SANDBOX_API_KEY_ID ?? "sandbox-key-id";
const API_SECRET = process.env.SANDBOX_API_SECRET ?? "sandbox-secret";
const WEBHOOK_KEY_ID = process.env.SANDBOX_WEBHOOK_KEY_ID ?? "sandbox-webhook-key-id";
const WEBHOOK_SECRET = process.env.SANDBOX_WEBHOOK_SECRET ?? "sandbox-webhook-secret";
const PAYMENT_ID = /^\d{10}_\d+$/;
const WAIT_MS = 20_000;

if (!SANDBOX_URL) {
    throw new Error("SANDBOX_URL is not set (run scripts/sdk-conformance.sh)");
}
const endpoint = new URL(SANDBOX_URL);

function makeClient(secret = API_SECRET) {
    return onlinePayments.init({
        host: endpoint.hostname,
        port: Number(endpoint.port),
        scheme: "http",
        apiKeyId: API_KEY_ID,
        secretApiKey: secret,
        integrator: "cadodesk-conformance",
    });
}

const client = makeClient();

// A tiny merchant site: it takes webhooks (POST) and customers coming back (GET).
const received = [];
const returns = [];
const site = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
        if (req.method === "POST") {
            received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
        } else {
            returns.push(req.url);
        }
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end("ok");
    });
});
// Listening before any test is declared: node:test starts top-level tests at once.
await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
const siteBase = `http://127.0.0.1:${site.address().port}`;
after(() => site.close());

async function waitFor(predicate, what) {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
        const value = predicate();
        if (value) return value;
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

function describe(response) {
    return `HTTP ${response.status}: ${JSON.stringify(response.body)}`;
}

// State built up by the tests, in order.
const state = {};

test("test connection", async () => {
    const response = await client.services.testConnection(MERCHANT_ID);
    assert.equal(response.isSuccess, true, describe(response));
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { result: "OK" });
});

test("create a 3103 hosted checkout", async () => {
    const response = await client.hostedCheckout.createHostedCheckout(MERCHANT_ID, {
        order: {
            amountOfMoney: { amount: 7000, currencyCode: "EUR" },
            customer: { contactDetails: { emailAddress: "jean.dupont@example.com" } },
            references: { merchantReference: `NODE-${randomUUID().slice(0, 8)}` },
        },
        hostedCheckoutSpecificInput: { locale: "fr_FR", returnUrl: `${siteBase}/return` },
        redirectPaymentMethodSpecificInput: { paymentProductId: 3103 },
        feedbacks: { webhooksUrls: [`${siteBase}/webhooks`] },
    });
    assert.equal(response.isSuccess, true, describe(response));
    assert.equal(response.status, 200, "CreateHostedCheckout answers 200");
    const body = response.body;
    assert.equal(typeof body.hostedCheckoutId, "string");
    assert.ok(body.RETURNMAC, "RETURNMAC missing");
    assert.ok(body.redirectUrl.startsWith(SANDBOX_URL), body.redirectUrl);
    state.created = body;
});

test("get the checkout before payment", async () => {
    const response = await client.hostedCheckout.getHostedCheckout(MERCHANT_ID, state.created.hostedCheckoutId);
    assert.equal(response.isSuccess, true, describe(response));
    assert.equal(response.body.status, "IN_PROGRESS");
});

test("pay on the hosted page over HTTP: two gift cards", async () => {
    const page = await fetch(state.created.redirectUrl);
    assert.equal(page.status, 200);
    const form = new URLSearchParams({
        giftcard1_number: "6299000000000002", giftcard1_expiry: "12/30", giftcard1_cvv: "123",
        giftcard2_number: "6299000000000003", giftcard2_expiry: "12/30", giftcard2_cvv: "123",
        action: "pay",
    });
    const answer = await fetch(state.created.redirectUrl, { method: "POST", body: form, redirect: "manual" });
    const text = (await answer.text()).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ");
    assert.ok([302, 303].includes(answer.status), `expected a redirect, got ${answer.status}: ${text.slice(0, 400)}`);
    const location = new URL(answer.headers.get("location"));
    assert.equal(`${location.origin}${location.pathname}`, `${siteBase}/return`);
    assert.equal(location.searchParams.get("RETURNMAC"), state.created.RETURNMAC);
    assert.equal(location.searchParams.get("hostedCheckoutId"), state.created.hostedCheckoutId);
    const landed = await fetch(location);
    assert.equal(landed.status, 200);
});

test("get the paid checkout", async () => {
    const response = await client.hostedCheckout.getHostedCheckout(MERCHANT_ID, state.created.hostedCheckoutId);
    assert.equal(response.isSuccess, true, describe(response));
    assert.equal(response.body.status, "PAYMENT_CREATED");
    const output = response.body.createdPaymentOutput;
    assert.equal(output.paymentStatusCategory, "SUCCESSFUL");
    assert.match(output.payment.id, PAYMENT_ID);
    assert.equal(output.payment.status, "CAPTURED");
    assert.equal(output.payment.statusOutput.statusCode, 9);
    state.firstPaymentId = output.payment.id;
});

test("payment details list the two tenders", async () => {
    const response = await client.payments.getPaymentDetails(MERCHANT_ID, state.firstPaymentId);
    assert.equal(response.isSuccess, true, describe(response));
    assert.ok(Array.isArray(response.body.Operations), "capitalised Operations missing");
    const tenders = response.body.Operations.filter((op) => op.status === "CAPTURED");
    assert.deepEqual(tenders.map((op) => op.amountOfMoney.amount), [5000, 2000]);
    const products = [];
    for (const op of tenders) {
        const payment = await client.payments.getPayment(MERCHANT_ID, op.id);
        assert.equal(payment.isSuccess, true, describe(payment));
        const output = payment.body.paymentOutput;
        products.push((output.redirectPaymentMethodSpecificOutput ?? output.cardPaymentMethodSpecificOutput)
            ?.paymentProductId);
    }
    assert.deepEqual(products, [3103, 3103]);
    state.tenders = tenders.map((op) => op.id);
});

test("refund with an idempotence key, then replay it", async () => {
    const gift = state.tenders[0];
    const key = randomUUID();
    const body = {
        amountOfMoney: { amount: 2500, currencyCode: "EUR" },
        operationReferences: { merchantReference: "NODE-RMB-1" },
        reason: "Retour client",
    };
    const firstContext = { idempotence: { key } };
    const first = await client.payments.refundPayment(MERCHANT_ID, gift, body, firstContext);
    assert.equal(first.isSuccess, true, describe(first));
    assert.equal(first.status, 201, "RefundPayment answers 201");
    assert.match(first.body.id, PAYMENT_ID);
    assert.equal(first.body.status, "REFUND_REQUESTED");
    assert.equal(first.body.statusOutput.statusCode, 81);
    assert.equal(first.body.refundOutput.amountOfMoney.amount, 2500);
    assert.equal(firstContext.idempotence.requestTimestamp, undefined, "first attempt carries no timestamp");

    const replayContext = { idempotence: { key } };
    const replay = await client.payments.refundPayment(MERCHANT_ID, gift, body, replayContext);
    assert.equal(replay.isSuccess, true, describe(replay));
    assert.equal(replay.status, 201);
    assert.equal(replay.body.id, first.body.id, "the replay returns the same refund");
    assert.ok(replayContext.idempotence.requestTimestamp, "the replay carries X-GCS-Idempotence-Request-Timestamp");
    state.refundId = first.body.id;
});

test("get refunds: one refund, settling to REFUNDED", async () => {
    const gift = state.tenders[0];
    const deadline = Date.now() + WAIT_MS;
    let refunds;
    for (;;) {
        const response = await client.refunds.getRefunds(MERCHANT_ID, gift);
        assert.equal(response.isSuccess, true, describe(response));
        refunds = response.body.refunds;
        assert.deepEqual(refunds.map((r) => r.id), [state.refundId]);
        if (refunds[0].status === "REFUNDED" || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(refunds[0].status, "REFUNDED");
    assert.equal(refunds[0].statusOutput.statusCode, 8);
});

test("over-refund resolves as a 400 with ACTION_NOT_ALLOWED_ON_TRANSACTION", async () => {
    const gift = state.tenders[0];
    const response = await client.payments.refundPayment(MERCHANT_ID, gift, {
        amountOfMoney: { amount: 2501, currencyCode: "EUR" },
    }, { idempotence: { key: randomUUID() } });
    assert.equal(response.isSuccess, false);
    assert.equal(response.status, 400);
    assert.equal(response.body.errors[0].message, "ACTION_NOT_ALLOWED_ON_TRANSACTION", describe(response));
});

test("a wrong secret resolves as a 403 ErrorResponse", async () => {
    const response = await makeClient("not-the-secret").services.testConnection(MERCHANT_ID);
    assert.equal(response.isSuccess, false);
    assert.equal(response.status, 403);
    assert.ok(response.body.errorId && response.body.errors.length > 0, describe(response));
});

test("an unknown payment resolves as a 404 ErrorResponse", async () => {
    const response = await client.payments.getPayment(MERCHANT_ID, "9999999999_0");
    assert.equal(response.isSuccess, false);
    assert.equal(response.status, 404);
    assert.ok(response.body.errors.length > 0, describe(response));
});

test("webhooks for the checkout verify with the SDK's helper", async () => {
    const store = onlinePayments.webhooks.inMemorySecretKeyStore;
    store.storeSecretKey(WEBHOOK_KEY_ID, WEBHOOK_SECRET);
    const helper = onlinePayments.webhooks.init(store);
    const refundHook = await waitFor(() => received.find((w) => {
        const event = JSON.parse(w.body.toString("utf8"));
        return w.path === "/webhooks" && event.refund?.id === state.refundId;
    }), `a refund webhook for ${state.refundId}`);
    const event = await helper.unmarshal(refundHook.body, refundHook.headers);
    assert.equal(event.apiVersion, "v1");
    assert.equal(event.merchantId, MERCHANT_ID);
    assert.ok(event.type.startsWith("refund."), event.type);
    await assert.rejects(helper.unmarshal(Buffer.concat([refundHook.body, Buffer.from(" ")]), refundHook.headers));
});
