/**
 * Wallet linking with Sign-In with Ethereum (EIP-4361, viem's helpers). A browser asks for a
 * nonce, its wallet signs a message naming this site's host, the chain and the nonce, and the
 * coordinator binds the browser's device ids to the signing address (devices.address).
 *
 * A device id proves nothing by itself (it is shown on the page), so the first link wins: a
 * device already bound to another address is refused, and a headless worker's --address is
 * its own declaration. Credit a device earned before linking follows it to the address.
 */
import crypto from 'node:crypto'
import { getAddress, type Hex } from 'viem'
import { generateSiweNonce, parseSiweMessage, verifySiweMessage } from 'viem/siwe'
import { NimbleError, type LinkWalletBody, type LinkWalletResult } from '../../lib/protocol'
import type { Ctx } from '../context'
import type { ChainService } from './service'

const NONCE_TTL_MS = 10 * 60_000

export async function issueNonce(ctx: Ctx): Promise<{ nonce: string }> {
  const nonce = generateSiweNonce()
  const now = ctx.now()
  await ctx.db.deleteFrom('siwe_nonces').where('created_at', '<', now - NONCE_TTL_MS).execute()
  await ctx.db.insertInto('siwe_nonces').values({ nonce, created_at: now, used_at: null }).execute()
  return { nonce }
}

export async function linkWallet(ctx: Ctx, chain: ChainService, body: LinkWalletBody, host: string): Promise<LinkWalletResult> {
  const bad = (message: string, field = 'message') => new NimbleError({ code: 'invalid_signature', message, field })
  const msg = parseSiweMessage(body.message)
  if (!msg.address || !msg.nonce || !msg.domain) throw bad('not a Sign-In with Ethereum message (address, domain and nonce are required)')
  if (msg.domain !== host) throw bad(`the message is for ${msg.domain}, but this site is ${host}: sign in again from this page`)
  if (msg.chainId !== chain.info.chainId) throw bad(`the message is for chain ${msg.chainId}; rewards are on chain ${chain.info.chainId}`)
  const now = ctx.now()
  const row = await ctx.db.selectFrom('siwe_nonces').selectAll().where('nonce', '=', msg.nonce).executeTakeFirst()
  if (!row || row.used_at !== null || row.created_at < now - NONCE_TTL_MS) throw bad('the sign-in nonce is unknown, used or expired: sign in again')
  const ok = await verifySiweMessage(chain.pub, { message: body.message, signature: body.signature as Hex, domain: host, nonce: msg.nonce, time: new Date(now) }).catch(() => false)
  if (!ok) throw bad('the signature does not match the message and address', 'signature')
  // One use per nonce, even if two requests race with the same message.
  const used = await ctx.db.updateTable('siwe_nonces').set({ used_at: now }).where('nonce', '=', msg.nonce).where('used_at', 'is', null).executeTakeFirst()
  if (Number(used.numUpdatedRows) !== 1) throw bad('the sign-in nonce was already used: sign in again')
  const address = getAddress(msg.address).toLowerCase()
  const ids = [...new Set(body.deviceIds)]
  await ctx.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('devices').select(['id', 'address']).where('id', 'in', ids).execute()
    const taken = existing.find((d) => d.address && d.address !== address)
    if (taken) throw new NimbleError({ code: 'conflict', message: `device ${taken.id} is already linked to another address`, field: 'deviceIds' })
    const known = new Set(existing.map((d) => d.id))
    for (const id of ids) {
      if (known.has(id)) {
        await trx.updateTable('devices').set({ address }).where('id', '=', id).execute()
      } else {
        // Linked before it ever joined: a placeholder row the device's first hello fills in.
        await trx
          .insertInto('devices')
          .values({ id, name: 'Browser (linked, not yet connected)', kind: 'browser', backend: 'cpu', gflops: 0, profile_json: '{}', first_seen: now, last_seen: now, address })
          .execute()
      }
    }
  })
  ctx.log.info({ address, devices: ids.length, ref: crypto.createHash('sha256').update(msg.nonce).digest('hex').slice(0, 8) }, `linked ${ids.length} device(s) to ${address}`)
  return { address: address as `0x${string}`, deviceIds: ids }
}
