import dnsPacket from 'dns-packet';

/**
 * The answer of the boot test's DNS responder: every A question gets `address`; other types
 * (AAAA) an empty answer, so that a resolver asking both settles on the A record.
 */
export function answerA(query: Buffer, address: string): { name: string; reply: Buffer } {
  const asked = dnsPacket.decode(query);
  const question = asked.questions?.[0];
  if (!question) throw new Error('a DNS query without a question');
  const answers = question.type === 'A' ? [{ type: 'A' as const, name: question.name, ttl: 60, data: address }] : [];
  const reply = dnsPacket.encode({
    type: 'response',
    id: asked.id ?? 0,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [question],
    answers,
  });
  return { name: question.name, reply };
}
