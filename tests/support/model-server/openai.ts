import type { Reply } from './scripts'
import { sseResponse } from './stream'

/** OpenAI Responses API replies as Codex reads them: SSE whose `data:` carries the event type. */

const KEEPALIVE_MS = 500

function itemsOf(reply: Reply, id: string): unknown[] {
  const items: unknown[] = [
    {
      type: 'message',
      id: `msg_${id}`,
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: reply.text, annotations: [] }],
    },
  ]
  const tool = reply.tool
  if (tool?.kind === 'write') {
    const lines = tool.content.replace(/\n$/, '').split('\n')
    const patch = `*** Begin Patch\n*** Add File: ${tool.path}\n${lines.map((l) => `+${l}`).join('\n')}\n*** End Patch\n`
    items.push({
      type: 'custom_tool_call',
      id: `ctc_${id}`,
      call_id: `call_${id}`,
      name: 'apply_patch',
      input: patch,
    })
  } else if (tool?.kind === 'bash') {
    const args: Record<string, string> = { cmd: tool.command }
    if (tool.escalate) {
      args.sandbox_permissions = 'require_escalated'
      args.justification = 'The scripted model wants to run this outside the sandbox'
    }
    items.push({
      type: 'function_call',
      id: `fc_${id}`,
      call_id: `call_${id}`,
      name: 'exec_command',
      arguments: JSON.stringify(args),
    })
  }
  return items
}

export function openaiStream(reply: Reply, model: string, id: string, signal: AbortSignal): Response {
  return sseResponse(signal, async (sse) => {
    const response = { id: `resp_${id}`, object: 'response', model, status: 'in_progress' }
    sse.send('response.created', { type: 'response.created', response })
    const [first, ...rest] = itemsOf(reply, id)
    sse.send('response.output_item.done', { type: 'response.output_item.done', output_index: 0, item: first })
    if (reply.holdMs) await sse.hold(reply.holdMs, KEEPALIVE_MS, () => sse.comment('keepalive'))
    for (const [index, item] of rest.entries())
      sse.send('response.output_item.done', {
        type: 'response.output_item.done',
        output_index: index + 1,
        item,
      })
    const { input, output, cacheRead } = reply.usage
    sse.send('response.completed', {
      type: 'response.completed',
      response: {
        ...response,
        status: 'completed',
        usage: {
          input_tokens: input + cacheRead,
          input_tokens_details: { cached_tokens: cacheRead },
          output_tokens: output,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: input + cacheRead + output,
        },
      },
    })
  })
}
