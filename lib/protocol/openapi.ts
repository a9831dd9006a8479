/** The REST API as an OpenAPI 3.1 document, generated from the same zod schemas the routes parse with. */
import { z } from 'zod'
import { CreateJobBody, DatasetView, JobView, LeaderboardView, NetworkView, PredictResponse } from './api'
import { ChainInfoView, ChainStatusView, LinkWalletBody, LinkWalletResult, RewardsView, SettleResult, SiweNonceView } from './rewards'
import { PROTOCOL_VERSION } from './version'

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })
const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) })

const errors = {
  '401': { description: 'missing or wrong owner key', content: { 'application/json': { schema: schema(ErrorBody) } } },
  '404': { description: 'not found', content: { 'application/json': { schema: schema(ErrorBody) } } },
  '422': { description: 'invalid input; `error.field` names the field, column or line', content: { 'application/json': { schema: schema(ErrorBody) } } },
}
const ok = (s: z.ZodType, description = 'OK') => ({ description, content: { 'application/json': { schema: schema(s) } } })
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]
const csvBody = { required: true, content: { 'text/csv': { schema: { type: 'string' } } } }

export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'Nimble coordinator API', version: `1.${PROTOCOL_VERSION}.0`, description: 'Owner actions need `Authorization: Bearer <owner key>`.' },
    components: { securitySchemes: { owner: { type: 'http', scheme: 'bearer' } } },
    security: [{ owner: [] }],
    paths: {
      '/api/datasets': {
        post: { summary: 'Upload a CSV dataset', requestBody: csvBody, responses: { '201': ok(DatasetView, 'stored'), '413': errors['422'], ...errors } },
        get: { summary: 'List datasets', responses: { '200': ok(z.object({ datasets: z.array(DatasetView) })), ...errors } },
      },
      '/api/datasets/{id}': { get: { summary: 'One dataset', parameters: idParam, responses: { '200': ok(DatasetView), ...errors } } },
      '/api/jobs': {
        post: { summary: 'Submit a training job', requestBody: { required: true, content: { 'application/json': { schema: schema(CreateJobBody) } } }, responses: { '201': ok(z.object({ id: z.string() }), 'created'), ...errors } },
        get: { summary: 'List jobs (newest first)', responses: { '200': ok(z.object({ jobs: z.array(JobView) })), ...errors } },
      },
      '/api/jobs/{id}': { get: { summary: 'Job status, metrics and history', parameters: idParam, responses: { '200': ok(JobView), ...errors } } },
      '/api/jobs/{id}/cancel': { post: { summary: 'Cancel a queued or running job', parameters: idParam, responses: { '200': ok(JobView), '409': errors['422'], ...errors } } },
      '/api/jobs/{id}/predict': { post: { summary: 'Predict for CSV rows (target column optional)', parameters: idParam, requestBody: csvBody, responses: { '200': ok(PredictResponse), ...errors } } },
      '/api/jobs/{id}/model': { get: { summary: 'Trained model as tfjs Layers model.json (tf.loadLayersModel loads it)', parameters: idParam, responses: { '200': { description: 'model.json' }, ...errors } } },
      '/api/jobs/{id}/model.weights.bin': { get: { summary: 'The weights referenced by model.json', parameters: idParam, responses: { '200': { description: 'binary float32 weights' }, ...errors } } },
      '/api/network': { get: { summary: 'Devices online and fleet speed', security: [], responses: { '200': ok(NetworkView) } } },
      '/api/leaderboard': {
        get: {
          summary: 'Top devices by verified credit (names and credit only); `device` adds that device’s own standing',
          security: [],
          parameters: [{ name: 'device', in: 'query', required: false, schema: { type: 'string' } }],
          responses: { '200': ok(LeaderboardView), '422': errors['422'] },
        },
      },
      '/api/chain/status': { get: { summary: 'Whether rewards are on, and if so the chain they settle on (200 either way)', security: [], responses: { '200': ok(ChainStatusView) } } },
      '/api/chain': { get: { summary: 'The chain rewards settle on: chain id, RPC URL, token and distributor addresses', security: [], responses: { '200': ok(ChainInfoView), '404': errors['404'] } } },
      '/api/rewards/{address}': {
        get: {
          summary: "An address's rewards (base units as decimal strings) with its Merkle proof under the latest root",
          security: [],
          parameters: [{ name: 'address', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': ok(RewardsView), '422': errors['422'] },
        },
      },
      '/api/rewards/settle': { post: { summary: 'Publish a new root of cumulative rewards now (idempotent: unchanged balances publish nothing)', responses: { '200': ok(SettleResult), ...errors } } },
      '/api/wallet/nonce': { post: { summary: 'A one-use Sign-In with Ethereum nonce (10 minutes)', security: [], responses: { '200': ok(SiweNonceView) } } },
      '/api/wallet/link': {
        post: {
          summary: "Bind this browser's device ids to the address that signed the SIWE message",
          security: [],
          requestBody: { required: true, content: { 'application/json': { schema: schema(LinkWalletBody) } } },
          responses: { '200': ok(LinkWalletResult), '401': errors['401'], '409': errors['422'], '422': errors['422'] },
        },
      },
      '/api/health': { get: { summary: 'Readiness', security: [], responses: { '200': { description: 'ready' } } } },
      '/api/blobs/{hash}': { get: { summary: 'Content-addressed blob (weights, data shards) for devices', security: [], responses: { '200': { description: 'bytes' }, '404': errors['404'] } } },
    },
  }
}
