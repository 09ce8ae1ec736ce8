// SubscriptionData as clients send it in heartbeats, and Apache's FilterAPI.build for the
// `subscription` string a pull carries.

import { javaHashCode } from '../common/properties.js';

export const SUB_ALL = '*';

export interface SubscriptionData {
  topic: string;
  subString: string;
  expressionType: string; // 'TAG' | 'SQL92'
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  classFilterMode: boolean;
}

export function isTagType(expressionType: string | undefined | null): boolean {
  return !expressionType || expressionType === 'TAG';
}

/** Throws on an unparsable expression (SUBSCRIPTION_PARSE_FAILED). */
export function buildSubscriptionData(topic: string, subString: string | undefined, expressionType: string | undefined, subVersion: number): SubscriptionData {
  const type = expressionType || 'TAG';
  const sd: SubscriptionData = { topic, subString: subString ?? SUB_ALL, expressionType: type, tagsSet: [], codeSet: [], subVersion, classFilterMode: false };
  if (!isTagType(type)) {
    if (!subString || subString.trim() === '') throw new Error('SQL92 expression is empty');
    return sd;
  }
  if (!subString || subString.trim() === '' || subString.trim() === SUB_ALL) {
    sd.subString = SUB_ALL;
    return sd;
  }
  for (const raw of subString.split('||')) {
    const tag = raw.trim();
    if (tag.length === 0) continue;
    if (!sd.tagsSet.includes(tag)) {
      sd.tagsSet.push(tag);
      sd.codeSet.push(javaHashCode(tag));
    }
  }
  if (sd.tagsSet.length === 0) throw new Error(`subString split error: ${subString}`);
  return sd;
}

/** Normalises one entry of a heartbeat's subscriptionDataSet. */
export function subscriptionFromHeartbeat(raw: Record<string, unknown>): SubscriptionData {
  const topic = String(raw.topic ?? '');
  const subString = raw.subString === undefined || raw.subString === null ? SUB_ALL : String(raw.subString);
  const expressionType = raw.expressionType ? String(raw.expressionType) : 'TAG';
  const tagsSet = Array.isArray(raw.tagsSet) ? raw.tagsSet.map(String) : [];
  let codeSet = Array.isArray(raw.codeSet) ? raw.codeSet.map(Number) : [];
  if (codeSet.length !== tagsSet.length) codeSet = tagsSet.map(javaHashCode);
  return {
    topic, subString, expressionType, tagsSet, codeSet,
    subVersion: Number(raw.subVersion ?? 0),
    classFilterMode: raw.classFilterMode === true,
  };
}

export function subscriptionJson(sd: SubscriptionData): Record<string, unknown> {
  return {
    classFilterMode: sd.classFilterMode, codeSet: sd.codeSet, expressionType: sd.expressionType,
    subString: sd.subString, subVersion: sd.subVersion, tagsSet: sd.tagsSet, topic: sd.topic,
  };
}
