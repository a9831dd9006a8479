/**
 * The REST API as an OpenAPI 3.1 document, generated from the same zod schemas the routes parse
 * with. Every route file under app/api has its path and methods here (lib/protocol/openapi.test.ts
 * checks, so the document cannot drift from the routes).
 */
import { z } from 'zod'
import { ApiKeyIdParam, ApiKeyView, CreateApiKeyBody, CreatedApiKey, SessionView, SignInBody, WhoAmI } from './accounts'
import { CreateJobBody, DatasetView, HealthView, JobEstimate, JobView, LeaderboardView, ModelView, NetworkView, PaperPlanQuery, PaperPlanView, PredictResponse, TemplateModelBody, UploadModelBody } from './api'
import { ChainInfoView, ChainStatusView, LinkWalletBody, LinkWalletResult, RewardsView, SettleResult, SiweNonceView } from './rewards'
import { PROTOCOL_VERSION } from './version'

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })
const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) })
const error = (description: string) => ({ description, content: { 'application/json': { schema: schema(ErrorBody) } } })

const errors = {
  '401': error('no credentials, or a wrong, revoked or expired key or session'),
  '404': error('not found (or not yours)'),
  '422': error('invalid input; `error.field` names the field, column or line'),
}
const ok = (s: z.ZodType, description = 'OK') => ({ description, content: { 'application/json': { schema: schema(s) } } })
const jsonBody = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s) } } })
const pathParam = (name: string, s: z.ZodType = z.string()) => ({ name, in: 'path', required: true, schema: schema(s) })
const idParam = [pathParam('id')]
const csvBody = { required: true, content: { 'text/csv': { schema: { type: 'string' } } } }
const zipBody = { 'application/zip': { schema: { type: 'string', format: 'binary' } } }
const binary = (description: string) => ({ description, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } })
/** Query parameters from a zod object: one per key, required unless optional or defaulted. */
const queryParams = (s: z.ZodObject) =>
  Object.entries(s.shape).map(([name, field]) => ({ name, in: 'query', required: !(field as z.ZodType).safeParse(undefined).success, schema: schema(field as z.ZodType) }))
const publicOp = { security: [] }
const adminOp = { security: [{ owner: [] }], 'x-admin-only': true }

export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Nimble coordinator API',
      version: `1.${PROTOCOL_VERSION}.0`,
      description: 'Owner actions need `Authorization: Bearer <API key or admin key>`, or the session cookie from `POST /api/auth/signin` (Sign-In with Ethereum).',
    },
    components: { securitySchemes: { owner: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'nimble_session' } } },
    security: [{ owner: [] }, { session: [] }],
    paths: {
      '/api/auth/nonce': { post: { summary: 'A one-use Sign-In with Ethereum nonce (10 minutes) for an owner’s EIP-4361 message', ...publicOp, responses: { '200': ok(SiweNonceView) } } },
      '/api/auth/signin': {
        post: {
          summary: 'Sign in with the signed EIP-4361 message; answers with a session cookie (HttpOnly, SameSite=Lax, Secure on https)',
          ...publicOp,
          requestBody: jsonBody(SignInBody),
          responses: { '200': ok(WhoAmI, 'signed in; Set-Cookie carries the session'), '401': error('the signature, nonce, domain or expiry is wrong'), '422': errors['422'] },
        },
      },
      '/api/auth/signout': { post: { summary: 'End the browser session: the cookie is cleared and the session deleted', ...publicOp, responses: { '200': ok(z.object({ ok: z.literal(true) })) } } },
      '/api/auth/session': { get: { summary: 'Whether this browser is signed in (session cookie or key) and as whom; 200 either way', ...publicOp, responses: { '200': ok(SessionView) } } },
      '/api/auth/me': { get: { summary: 'Who the request’s key or session belongs to', responses: { '200': ok(WhoAmI), '401': errors['401'] } } },
      '/api/keys': {
        post: { summary: 'Create an API key for the caller; the key is in this answer only (it is stored hashed)', requestBody: jsonBody(CreateApiKeyBody), responses: { '201': ok(CreatedApiKey, 'created'), ...errors } },
        get: { summary: 'The caller’s API keys (prefixes only, never the keys)', responses: { '200': ok(z.object({ keys: z.array(ApiKeyView) })), '401': errors['401'] } },
      },
      '/api/keys/{id}': { delete: { summary: 'Revoke a key: it is refused from its very next request', parameters: [pathParam('id', ApiKeyIdParam)], responses: { '200': ok(ApiKeyView, 'revoked'), ...errors } } },
      '/api/datasets': {
        post: { summary: 'Upload a CSV dataset, or a zip of images (one folder per class, or idx files); X-Filename names it', requestBody: { ...csvBody, content: { ...csvBody.content, ...zipBody } }, responses: { '201': ok(DatasetView, 'stored'), '413': error('larger than NIMBLE_MAX_UPLOAD_BYTES'), ...errors } },
        get: { summary: 'List datasets', responses: { '200': ok(z.object({ datasets: z.array(DatasetView) })), ...errors } },
      },
      '/api/datasets/{id}': { get: { summary: 'One dataset', parameters: idParam, responses: { '200': ok(DatasetView), ...errors } } },
      '/api/models': {
        post: {
          summary: 'Upload a tfjs Layers model (JSON, or multipart as model.save sends it), or build one from a template',
          requestBody: { required: true, content: { 'application/json': { schema: { oneOf: [schema(UploadModelBody), schema(TemplateModelBody)] } }, 'multipart/form-data': { schema: { type: 'object' } } } },
          responses: { '201': ok(ModelView, 'stored'), '413': error('larger than NIMBLE_MAX_UPLOAD_BYTES'), ...errors },
        },
        get: { summary: 'List models', responses: { '200': ok(z.object({ models: z.array(ModelView) })), ...errors } },
      },
      '/api/models/{id}': { get: { summary: 'One model', parameters: idParam, responses: { '200': ok(ModelView), ...errors } } },
      '/api/jobs': {
        post: { summary: 'Submit a training or inference job', requestBody: jsonBody(CreateJobBody), responses: { '201': ok(z.object({ id: z.string() }), 'created'), '429': error('the owner has NIMBLE_MAX_JOBS_PER_OWNER jobs queued or running'), ...errors } },
        get: { summary: 'List jobs (newest first)', responses: { '200': ok(z.object({ jobs: z.array(JobView) })), ...errors } },
      },
      '/api/jobs/estimate': { post: { summary: 'Cost and duration of a job on the fleet online now (the body of POST /api/jobs); submits nothing', requestBody: jsonBody(CreateJobBody), responses: { '200': ok(JobEstimate), ...errors } } },
      '/api/jobs/{id}': { get: { summary: 'Job status, metrics and history', parameters: idParam, responses: { '200': ok(JobView), ...errors } } },
      '/api/jobs/{id}/cancel': { post: { summary: 'Cancel a queued or running job', parameters: idParam, responses: { '200': ok(JobView), '409': error('the job has already ended'), ...errors } } },
      '/api/jobs/{id}/predict': {
        post: { summary: 'Predict for CSV rows (target column optional), or a zip of images', parameters: idParam, requestBody: { ...csvBody, content: { ...csvBody.content, ...zipBody } }, responses: { '200': ok(PredictResponse), ...errors } },
      },
      '/api/jobs/{id}/model': { get: { summary: 'Trained model as tfjs Layers model.json (tf.loadLayersModel loads it)', parameters: idParam, responses: { '200': { description: 'model.json' }, ...errors } } },
      '/api/jobs/{id}/model.weights.bin': { get: { summary: 'The weights referenced by model.json', parameters: idParam, responses: { '200': binary('float32 weights'), ...errors } } },
      '/api/jobs/{id}/preprocessing.json': { get: { summary: 'How raw rows (or images) become the model’s inputs, and what its outputs mean', parameters: idParam, responses: { '200': { description: 'the manifest' }, ...errors } } },
      '/api/jobs/{id}/outputs': {
        get: { summary: 'An inference job’s outputs in row order', parameters: idParam, responses: { '200': ok(z.object({ shape: z.array(z.number().int()), data: z.array(z.number()) })), ...errors } },
      },
      '/api/jobs/{id}/outputs.csv': { get: { summary: 'An inference job’s outputs as CSV', parameters: idParam, responses: { '200': { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } }, ...errors } } },
      '/api/plan': { get: { summary: 'The pipeline planner on paper: how a model of `params` parameters would be cut for devices of `deviceMemory`', ...publicOp, parameters: queryParams(PaperPlanQuery), responses: { '200': ok(PaperPlanView), '422': errors['422'] } } },
      '/api/network': { get: { summary: 'Devices online and fleet speed', ...publicOp, responses: { '200': ok(NetworkView) } } },
      '/api/leaderboard': {
        get: {
          summary: 'Top devices by verified credit (names and credit only); `device` adds that device’s own standing',
          ...publicOp,
          parameters: [{ name: 'device', in: 'query', required: false, schema: { type: 'string' } }],
          responses: { '200': ok(LeaderboardView), '422': errors['422'] },
        },
      },
      '/api/chain/status': { get: { summary: 'Whether rewards are on, and if so the chain they settle on (200 either way)', ...publicOp, responses: { '200': ok(ChainStatusView) } } },
      '/api/chain': { get: { summary: 'The chain rewards settle on: chain id, RPC URL, token and distributor addresses', ...publicOp, responses: { '200': ok(ChainInfoView), '404': errors['404'] } } },
      '/api/rewards/{address}': {
        get: { summary: "An address's rewards (base units as decimal strings) with its Merkle proof under the latest root", ...publicOp, parameters: [pathParam('address')], responses: { '200': ok(RewardsView), '422': errors['422'] } },
      },
      '/api/rewards/settle': { post: { summary: 'Publish a new root of cumulative rewards now (admin key only; idempotent: unchanged balances publish nothing)', ...adminOp, responses: { '200': ok(SettleResult), '403': error('not the admin key'), ...errors } } },
      '/api/wallet/nonce': { post: { summary: 'A one-use Sign-In with Ethereum nonce (10 minutes) for linking devices', ...publicOp, responses: { '200': ok(SiweNonceView) } } },
      '/api/wallet/link': {
        post: {
          summary: "Bind this browser's device ids to the address that signed the SIWE message",
          ...publicOp,
          requestBody: jsonBody(LinkWalletBody),
          responses: { '200': ok(LinkWalletResult), '401': errors['401'], '409': error('a device is already linked to another address'), '422': errors['422'] },
        },
      },
      '/api/health': { get: { summary: 'Readiness: 200 when the database answers and the coordinator is not draining, else 503', ...publicOp, responses: { '200': ok(HealthView, 'ready'), '503': ok(HealthView, 'not ready') } } },
      '/api/probe': { get: { summary: '1 MiB of random bytes a device times to learn its download bandwidth', ...publicOp, responses: { '200': binary('1 MiB') } } },
      '/api/blobs/{hash}': {
        get: { summary: 'Content-addressed blob (weights, data shards) for the device holding a task (`t`: its lease token), or the admin key', ...publicOp, parameters: [pathParam('hash'), { name: 't', in: 'query', required: false, schema: { type: 'string' } }], responses: { '200': binary('bytes'), '403': error('no current task needs this blob'), '404': errors['404'] } },
      },
      '/api/openapi.json': { get: { summary: 'This document', ...publicOp, responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
  }
}
