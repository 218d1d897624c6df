import { isAbsolute, join } from 'node:path'
import type { Reply } from './scripts'
import { sseResponse } from './stream'

/** Anthropic Messages API replies: SSE with `event:` lines (required by Claude Code) or plain JSON. */

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown }

const PING_MS = 500

function blocksOf(reply: Reply, cwd: string | null, id: string): Block[] {
  const blocks: Block[] = [{ type: 'text', text: reply.text }]
  const tool = reply.tool
  if (tool?.kind === 'write') {
    const filePath = isAbsolute(tool.path) ? tool.path : join(cwd ?? '/', tool.path)
    blocks.push({
      type: 'tool_use',
      id: `toolu_${id}`,
      name: 'Write',
      input: { file_path: filePath, content: tool.content },
    })
  } else if (tool?.kind === 'bash') {
    blocks.push({
      type: 'tool_use',
      id: `toolu_${id}`,
      name: 'Bash',
      input: { command: tool.command, description: 'Scripted command' },
    })
  } else if (tool?.kind === 'structured') {
    blocks.push({ type: 'tool_use', id: `toolu_${id}`, name: 'StructuredOutput', input: tool.input })
  }
  return blocks
}

function startUsage(reply: Reply) {
  return {
    input_tokens: reply.usage.input,
    cache_read_input_tokens: reply.usage.cacheRead,
    cache_creation_input_tokens: reply.usage.cacheWrite,
    output_tokens: 1,
  }
}

const stopReason = (reply: Reply) => (reply.tool ? 'tool_use' : 'end_turn')

export function anthropicJson(reply: Reply, cwd: string | null, model: string, id: string): Response {
  return Response.json({
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model,
    content: blocksOf(reply, cwd, id),
    stop_reason: stopReason(reply),
    stop_sequence: null,
    usage: { ...startUsage(reply), output_tokens: reply.usage.output },
  })
}

export function anthropicStream(
  reply: Reply,
  cwd: string | null,
  model: string,
  id: string,
  signal: AbortSignal,
): Response {
  return sseResponse(signal, async (sse) => {
    const message = { id: `msg_${id}`, type: 'message', role: 'assistant', model, content: [] }
    sse.send('message_start', {
      type: 'message_start',
      message: { ...message, stop_reason: null, stop_sequence: null, usage: startUsage(reply) },
    })
    sse.send('ping', { type: 'ping' })
    const blocks = blocksOf(reply, cwd, id)
    for (const [index, block] of blocks.entries()) {
      if (block.type === 'text') {
        sse.send('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'text', text: '' },
        })
        sse.send('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text: block.text },
        })
      } else {
        sse.send('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { ...block, input: {} },
        })
        sse.send('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
        })
      }
      sse.send('content_block_stop', { type: 'content_block_stop', index })
    }
    if (reply.holdMs) await sse.hold(reply.holdMs, PING_MS, () => sse.send('ping', { type: 'ping' }))
    sse.send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason(reply), stop_sequence: null },
      usage: { output_tokens: reply.usage.output },
    })
    sse.send('message_stop', { type: 'message_stop' })
  })
}
