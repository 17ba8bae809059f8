// The sandbox's Bimpli CADO hosted page in a real browser (Debian's Chromium driven by playwright-core).
//
// A customer fills two gift cards and a Visa remainder in the real form and lands on the shop's returnUrl with
// RETURNMAC; another cancels; another types a declined card and sees the page again with the reason. Run through
// scripts/browser-test.sh, which starts the sandbox and exports SANDBOX_URL and the SANDBOX_* credentials.
//
// Checkouts are created by a small v1HMAC signer below: the official Node SDK validates bodies against its own
// schemas, which lack `paymentProduct3103SpecificInput`, so it cannot ask for a card remainder. Reads go through
// the official Node SDK.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { createHmac, randomUUID } from "node:crypto";
import { dirname } from "node:path";
import { after, before, test } from "node:test";

import onlinePayments from "onlinepayments-sdk-nodejs";
import { chromium } from "playwright-core";

const SANDBOX_URL = process.env.SANDBOX_URL ?? "";
const MERCHANT_ID = process.env.SANDBOX_MERCHANT_ID ?? "cadodesk-sandbox";
const SCREENSHOT = process.env.HOSTED_PAGE_SCREENSHOT ?? "";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!SANDBOX_URL) throw new Error("SANDBOX_URL is not set (run scripts/browser-test.sh)");
const endpoint = new URL(SANDBOX_URL);

const API_KEY_ID = process.env.SANDBOX_API_KEY_ID ?? "sandbox-key-id";
const API_SECRET = process.env.SANDBOX_API_SECRET ?? "sandbox-secret";
const client = onlinePayments.init({
    host: endpoint.hostname,
    port: Number(endpoint.port),
    scheme: "http",
    apiKeyId: API_KEY_ID,
    secretApiKey: API_SECRET,
    integrator: "cadodesk-browser-test",
});

// POST with a JSON body, signed the way every official SDK signs it (reference §2.1).
async function signedPost(path, body) {
    const date = new Date().toUTCString();
    const meta = Buffer.from(JSON.stringify({
        platformIdentifier: `Node.js ${process.version}`,
        sdkIdentifier: "cadodesk-browser-test/1",
        sdkCreator: "cadodesk",
        integrator: "cadodesk-browser-test",
    })).toString("base64");
    const stringToSign = `POST\napplication/json\n${date}\nx-gcs-servermetainfo:${meta}\n${path}\n`;
    const signature = createHmac("sha256", API_SECRET).update(stringToSign, "utf8").digest("base64");
    const response = await fetch(new URL(path, SANDBOX_URL), {
        method: "POST",
        headers: {
            "Content-Type": "application/json",
            Date: date,
            "X-GCS-ServerMetaInfo": meta,
            Authorization: `GCS v1HMAC:${API_KEY_ID}:${signature}`,
        },
        body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
}

// The shop's return page.
const shop = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="fr"><title>Boutique</title><h1 id="back">Retour boutique</h1></html>`);
});
let shopBase = "";
let browser;
let context;

before(async () => {
    await new Promise((resolve) => shop.listen(0, "127.0.0.1", resolve));
    shopBase = `http://127.0.0.1:${shop.address().port}`;
    browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"],
    });
    context = await browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 900 } });
});

after(async () => {
    await browser?.close();
    shop.close();
});

async function createCheckout(amount, locale = "fr_FR") {
    const response = await signedPost(`/v2/${MERCHANT_ID}/hostedcheckouts`, {
        order: {
            amountOfMoney: { amount, currencyCode: "EUR" },
            references: { merchantReference: `WEB-${randomUUID().slice(0, 8)}` },
        },
        hostedCheckoutSpecificInput: { locale, returnUrl: `${shopBase}/retour` },
        redirectPaymentMethodSpecificInput: {
            paymentProductId: 3103,
            paymentProduct3103SpecificInput: { completeRemainingPaymentAmount: true },
        },
    });
    assert.equal(response.status, 200, `create: HTTP ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
}

async function checkoutStatus(id) {
    const response = await client.hostedCheckout.getHostedCheckout(MERCHANT_ID, id);
    assert.equal(response.isSuccess, true, `get: HTTP ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
}

async function fillCard(page, prefix, number, expiry, cvv) {
    await page.locator(`[name="${prefix}_number"]`).fill(number);
    await page.locator(`[name="${prefix}_expiry"]`).fill(expiry);
    await page.locator(`[name="${prefix}_cvv"]`).fill(cvv);
}

function assertBackAtShop(page, created) {
    const url = new URL(page.url());
    assert.equal(`${url.origin}${url.pathname}`, `${shopBase}/retour`, `landed on ${page.url()}`);
    assert.equal(url.searchParams.get("RETURNMAC"), created.RETURNMAC);
    assert.equal(url.searchParams.get("hostedCheckoutId"), created.hostedCheckoutId);
}

test("pay 120,00 € with two gift cards and a Visa remainder in Chromium", async () => {
    const created = await createCheckout(12000);
    const page = await context.newPage();
    const response = await page.goto(created.redirectUrl);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator("html").getAttribute("lang").then((l) => l?.slice(0, 2)), "fr");
    await assert.doesNotReject(page.locator(`[name="giftcard3_number"]`).waitFor({ state: "attached" }));

    if (SCREENSHOT) {
        mkdirSync(dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }

    await fillCard(page, "giftcard1", "6299000000000002", "12/30", "123");
    await fillCard(page, "giftcard2", "6299000000000003", "12/30", "123");
    await fillCard(page, "card", "4012000033330026", "05/30", "123");
    if (SCREENSHOT) {
        await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-filled.png"), fullPage: true });
    }
    await Promise.all([
        page.waitForURL((u) => u.toString().startsWith(shopBase), { timeout: 20_000 }),
        page.locator(`[name="action"][value="pay"]`).click(),
    ]);
    assertBackAtShop(page, created);
    assert.equal(await page.locator("#back").textContent(), "Retour boutique");

    const status = await checkoutStatus(created.hostedCheckoutId);
    assert.equal(status.status, "PAYMENT_CREATED");
    assert.equal(status.createdPaymentOutput.paymentStatusCategory, "SUCCESSFUL");
    const details = await client.payments.getPaymentDetails(MERCHANT_ID, status.createdPaymentOutput.payment.id);
    assert.equal(details.isSuccess, true);
    assert.deepEqual(
        details.body.Operations.filter((op) => op.status === "CAPTURED").map((op) => op.amountOfMoney.amount),
        [5000, 2000, 5000],
    );
    await page.close();
});

test("cancel with the cancel button in Chromium", async () => {
    const created = await createCheckout(4200);
    const page = await context.newPage();
    await page.goto(created.redirectUrl);
    await Promise.all([
        page.waitForURL((u) => u.toString().startsWith(shopBase), { timeout: 20_000 }),
        page.locator(`[name="action"][value="cancel"]`).click(),
    ]);
    assertBackAtShop(page, created);
    const status = await checkoutStatus(created.hostedCheckoutId);
    assert.equal(status.status, "CANCELLED_BY_CONSUMER");
    await page.close();
});

test("a declined card shows the page again with the reason", async () => {
    const created = await createCheckout(3000);
    const page = await context.newPage();
    await page.goto(created.redirectUrl);
    await fillCard(page, "card", "4321456998744563", "05/30", "123");
    const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST" && r.url().startsWith(SANDBOX_URL)),
        page.locator(`[name="action"][value="pay"]`).click(),
    ]);
    assert.equal(answer.status(), 200, "a decline re-shows the page");
    await page.waitForLoadState("load");
    assert.ok(page.url().startsWith(SANDBOX_URL), `stayed on the hosted page, got ${page.url()}`);
    await page.locator(`[name="card_number"]`).waitFor({ state: "attached" });
    const text = await page.locator("body").innerText();
    assert.match(text, /refus/i, "the French page names the refusal");
    const status = await checkoutStatus(created.hostedCheckoutId);
    assert.equal(status.status, "IN_PROGRESS", "one declined attempt of ten does not end the checkout");
    await page.close();
});

test("an English page for en_GB", async () => {
    const created = await createCheckout(2000, "en_GB");
    const page = await context.newPage();
    await page.goto(created.redirectUrl);
    assert.equal(await page.locator("html").getAttribute("lang").then((l) => l?.slice(0, 2)), "en");
    await page.close();
});
