// Subscription data as the broker keeps it (HEART_BEAT subscriptionDataSet): the tag expression
// split into tags and their Java hash codes, or an SQL92 expression evaluated by the broker.
import { javaHashCode } from '../message.js';

export const SUB_ALL = '*';

export type SubscriptionExpression = string | { type: 'TAG' | 'SQL92'; expression: string };

export interface SubscriptionData {
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  expressionType: 'TAG' | 'SQL92';
  classFilterMode: boolean;
}

export function buildSubscriptionData(topic: string, expr: SubscriptionExpression | undefined, subVersion = Date.now()): SubscriptionData {
  const type = typeof expr === 'object' ? expr.type : 'TAG';
  const text = typeof expr === 'object' ? expr.expression : expr;
  if (type === 'SQL92') {
    if (!text || !text.trim()) throw new Error('SQL92 expression is empty');
    return { topic, subString: text, tagsSet: [], codeSet: [], subVersion, expressionType: 'SQL92', classFilterMode: false };
  }
  const sd: SubscriptionData = { topic, subString: SUB_ALL, tagsSet: [], codeSet: [], subVersion, expressionType: 'TAG', classFilterMode: false };
  if (!text || !text.trim() || text.trim() === SUB_ALL) return sd;
  sd.subString = text;
  const seen = new Set<string>();
  for (const raw of text.split('||')) {
    const tag = raw.trim();
    if (!tag || seen.has(tag)) continue;
    seen.add(tag);
    sd.tagsSet.push(tag);
    sd.codeSet.push(javaHashCode(tag));
  }
  return sd;
}

/** Java-style client-side tag filter: with a tag subscription only messages with a listed tag pass. */
export function tagMatches(sd: SubscriptionData, tags: string | undefined): boolean {
  if (sd.expressionType !== 'TAG' || sd.tagsSet.length === 0 || sd.classFilterMode) return true;
  return tags !== undefined && sd.tagsSet.includes(tags);
}

/** The JSON form inside HEART_BEAT bodies (fastjson writes keys in alphabetical order). */
export function subscriptionJson(sd: SubscriptionData): Record<string, unknown> {
  return {
    classFilterMode: sd.classFilterMode,
    codeSet: sd.codeSet,
    expressionType: sd.expressionType,
    subString: sd.subString,
    subVersion: sd.subVersion,
    tagsSet: sd.tagsSet,
    topic: sd.topic,
  };
}
