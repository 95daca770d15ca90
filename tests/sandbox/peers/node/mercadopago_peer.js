'use strict';
/**
 * MercadoPago's official Node SDK, unmodified, doing what a shop backend does against the
 * sandbox: create and read a Checkout Pro preference, read and search the payment a buyer
 * made, refund part of it and list the refunds, and check every webhook it is sent with the
 * SDK's own signature validator, tolerance on.
 *
 * Usage: node mercadopago_peer.js SANDBOX_URL ACCESS_TOKEN WEBHOOK_SECRET
 *
 * Prints JSON lines on stdout. The first, {"event": "preference_created", ...}, is the cue
 * for whoever drives the test to pay that preference (the sandbox's control API); the last,
 * {"event": "done", ...}, holds everything observed. Nothing here decides pass or fail: the
 * Python test (tests/sandbox/peers/test_mercadopago_node.py) asserts on the output.
 *
 * The SDK has no base-URL option; its published constant `AppConfig.BASE_URL`
 * (mercadopago/dist/utils/config, "Root URL for all MercadoPago REST API calls") is the one
 * place every request's address comes from, and the only thing set here.
 */

const http = require('node:http');
const { AppConfig } = require('mercadopago/dist/utils/config');
const {
	MercadoPagoConfig,
	Payment,
	PaymentRefund,
	Preference,
	WebhookSignatureValidator,
} = require('mercadopago');

const WEBHOOK_WAIT_MS = 20000; // a bound on waiting, not a speed check
const TOLERANCE_SECONDS = 300;

function emit(event, fields) {
	process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
}

function describeError(error) {
	return {
		name: error.constructor.name,
		status: error.status,
		error: error.error,
		message: error.message,
		causes: error.causes,
	};
}

/** A webhook receiver on loopback that validates each delivery as it arrives. */
function startReceiver(secret) {
	const received = [];
	const waiters = [];
	const server = http.createServer((request, response) => {
		const chunks = [];
		request.on('data', (chunk) => chunks.push(chunk));
		request.on('end', () => {
			const url = new URL(request.url, 'http://127.0.0.1');
			const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
			const dataId = url.searchParams.get('data.id');
			const hook = {
				action: body.action,
				type: body.type,
				data_id: dataId,
				body_data_id: body.data && body.data.id,
				ts: null,
				validation: 'ok',
				wrong_secret_validation: 'ok',
			};
			const headers = {
				xSignature: request.headers['x-signature'],
				xRequestId: request.headers['x-request-id'],
				dataId,
			};
			hook.ts = (String(headers.xSignature || '').match(/ts=(\d+)/) || [])[1] || null;
			try {
				WebhookSignatureValidator.validate({
					...headers,
					secret,
					toleranceSeconds: TOLERANCE_SECONDS,
				});
			} catch (error) {
				hook.validation = error.reason || String(error);
			}
			try {
				WebhookSignatureValidator.validate({
					...headers,
					secret: 'not-' + secret,
					toleranceSeconds: TOLERANCE_SECONDS,
				});
			} catch (error) {
				hook.wrong_secret_validation = error.reason || String(error);
			}
			received.push(hook);
			response.writeHead(200, { 'Content-Type': 'application/json' });
			response.end('{}');
			for (const waiter of waiters.splice(0)) waiter();
		});
	});
	const waitFor = (predicate) =>
		new Promise((resolve, reject) => {
			const deadline = setTimeout(
				() => reject(new Error('no such webhook within ' + WEBHOOK_WAIT_MS + ' ms')),
				WEBHOOK_WAIT_MS,
			);
			const check = () => {
				const found = received.find(predicate);
				if (found) {
					clearTimeout(deadline);
					resolve(found);
				} else {
					waiters.push(check);
				}
			};
			check();
		});
	return new Promise((resolve) => {
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			resolve({ url: `http://127.0.0.1:${port}/webhooks/mercadopago`, received, waitFor, server });
		});
	});
}

async function main() {
	const [sandboxUrl, accessToken, secret] = process.argv.slice(2);
	if (!sandboxUrl || !accessToken || !secret) {
		throw new Error('usage: node mercadopago_peer.js SANDBOX_URL ACCESS_TOKEN WEBHOOK_SECRET');
	}
	const base = new URL('/mercadopago', sandboxUrl);
	if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) {
		throw new Error('the sandbox must be on loopback, not ' + base.hostname);
	}
	AppConfig.BASE_URL = base.toString();

	const receiver = await startReceiver(secret);
	const client = new MercadoPagoConfig({ accessToken, options: { timeout: 10000 } });
	const preferences = new Preference(client);
	const payments = new Payment(client);
	const refunds = new PaymentRefund(client);
	const reference = 'NODE-' + process.pid;

	const created = await preferences.create({
		body: {
			items: [
				{ id: 'SKU-1', title: 'Remera negra', quantity: 2, unit_price: 1500.5, currency_id: 'ARS' },
			],
			external_reference: reference,
			notification_url: receiver.url,
			payer: { name: 'Ana', email: 'ana@example.com' },
			back_urls: { success: 'https://shop.example/ok', failure: 'https://shop.example/ko' },
		},
	});
	emit('preference_created', { preference_id: created.id, external_reference: reference });

	const fetched = await preferences.get({ preferenceId: created.id });
	const createdHook = await receiver.waitFor((h) => h.action === 'payment.created');
	const paymentId = createdHook.data_id;

	const payment = await payments.get({ id: paymentId });
	const search = await payments.search({ options: { external_reference: reference } });
	const refund = await refunds.create({ payment_id: paymentId, body: { amount: 500.5 } });
	const listed = await refunds.list({ payment_id: paymentId });
	const updatedHook = await receiver.waitFor((h) => h.action === 'payment.updated');

	const errors = {};
	for (const [name, call] of [
		['preference_get_unknown', () => preferences.get({ preferenceId: 'no-such-preference' })],
		['payment_get_unknown', () => payments.get({ id: 999 })],
	]) {
		try {
			await call();
			errors[name] = null;
		} catch (error) {
			errors[name] = describeError(error);
		}
	}

	emit('done', {
		sdk_version: AppConfig.SDK_VERSION,
		preference: {
			id: created.id,
			status: created.api_response.status,
			init_point: created.init_point,
			external_reference: created.external_reference,
			items: created.items,
			payer: created.payer,
			fetched_id: fetched.id,
			fetched_status: fetched.api_response.status,
			fetched_same: JSON.stringify({ ...fetched, api_response: null }) ===
				JSON.stringify({ ...created, api_response: null }),
		},
		payment: {
			id: payment.id,
			status: payment.status,
			external_reference: payment.external_reference,
			transaction_amount: payment.transaction_amount,
			currency_id: payment.currency_id,
		},
		search: {
			total: search.paging.total,
			ids: search.results.map((p) => p.id),
		},
		refund: {
			status: refund.api_response.status,
			id: refund.id,
			payment_id: refund.payment_id,
			amount: refund.amount,
		},
		refunds_listed: {
			status: listed.api_response.status,
			ids: Array.from(listed, (r) => r.id),
		},
		webhooks: receiver.received,
		first_payment_webhook: createdHook,
		refund_webhook: updatedHook,
		errors,
	});
}

// Exit explicitly: the webhook receiver (or an SDK retry timer) must not keep a failed run alive.
main().then(
	() => process.exit(0),
	(error) => {
		emit('failed', { error: describeError(error), stack: String(error.stack || '') });
		process.exit(1);
	},
);
